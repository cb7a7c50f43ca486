# The tokenizer's fuzz target: arbitrary bytes through both encodings and
# dialects (round trip, count/limit agreement, replacement mode). It reads the
# rank files that the tokenizer_data test fetches into the build tree.
accel_add_fuzz(tokenizer_fuzz SOURCE tokenizer_fuzz.c
	LIBS accel_tokenizer MODULE tokenizer)
foreach(t tokenizer_fuzz_replay tokenizer_fuzz)
	if(TARGET ${t})
		target_compile_definitions(${t} PRIVATE
			ACCEL_TOK_DATA_DIR="${CMAKE_BINARY_DIR}/data/tokenizer")
	endif()
endforeach()
set_tests_properties(tokenizer_fuzz_replay PROPERTIES
	FIXTURES_REQUIRED tok_data)
