# The context module's fuzz targets: the zstd decoders and the store loader.
accel_add_fuzz(context_zstd_fuzz SOURCE context_zstd_fuzz.c
	LIBS accel_context MODULE context)
accel_add_fuzz(context_store_fuzz SOURCE context_store_fuzz.c
	LIBS accel_context MODULE context)
accel_add_fuzz(context_journal_fuzz SOURCE context_journal_fuzz.c
	LIBS accel_context MODULE context)
