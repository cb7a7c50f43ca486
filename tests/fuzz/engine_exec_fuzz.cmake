# The exec op's request decoder (engine/ops/exec_wire.c): header, section
# table and every variable part, with a re-encode round trip through
# client/exec_request.h. Seeds: tests/fuzz/corpus/exec_request/ (made by
# tests/fuzz/exec_seeds.c, see there).
accel_add_fuzz(exec_request SOURCE exec_request_fuzz.c
	LIBS accel_engine accel_client MODULE engine)
add_executable(exec_request_seeds exec_seeds.c)
target_link_libraries(exec_request_seeds PRIVATE accel_client)
