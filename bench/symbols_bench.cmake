# The symbol index on a real ctags corpus; bench/symbols_peers.mjs measures
# fuzzysort, fzf and a Map scan on the corpus `symbols_bench --dump` writes.
accel_add_bench(symbols_bench SOURCES symbols_bench.c LIBS accel_symbols)
target_include_directories(symbols_bench PRIVATE ${PROJECT_SOURCE_DIR}/symbols)
