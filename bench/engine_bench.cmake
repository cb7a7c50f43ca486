# Spawn -> exit through the engine's exec op from the C client, against
# posix_spawn, the sandbox library in-process and bubblewrap (issue 3, item
# 9). bench/exec_run.sh runs it with bench/exec_node.mjs and writes the
# report (bench/exec_report.mjs).
if(TARGET accel_client)
	accel_add_bench(exec_bench SOURCES exec_bench.c
		LIBS accel_client accel_sandbox PkgConfig::URING)
	add_dependencies(exec_bench agent-acceld)
endif()
