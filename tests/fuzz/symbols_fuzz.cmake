# The symbol index's fuzz target: the snapshot loader (and through it the
# upsert buffer validator).
accel_add_fuzz(symbols_snapshot_fuzz SOURCE symbols_snapshot_fuzz.c
	LIBS accel_symbols PkgConfig::XXHASH MODULE symbols)
