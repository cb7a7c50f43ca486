# zstd through accel_context against libzstd directly, and dictionary against
# none on ~1 KB messages. bench/context_peers.mjs measures Node's zlib on the
# corpus `context_bench --dump DIR` writes.
accel_add_bench(context_bench
	SOURCES context_bench.c ${PROJECT_SOURCE_DIR}/tests/context/corpus.c
	LIBS accel_context PkgConfig::ZSTD)
target_include_directories(context_bench PRIVATE
	${PROJECT_SOURCE_DIR}/tests/context)
target_compile_definitions(context_bench PRIVATE
	ACCEL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
accel_add_bench(context_instr
	SOURCES context_instr.c ${PROJECT_SOURCE_DIR}/tests/context/corpus.c
	LIBS accel_context PkgConfig::ZSTD)
target_include_directories(context_instr PRIVATE
	${PROJECT_SOURCE_DIR}/tests/context)
target_compile_definitions(context_instr PRIVATE
	ACCEL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
