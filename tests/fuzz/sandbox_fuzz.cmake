# The sandbox's fuzz target: argv/env vectors from the exec op's wire format.
accel_add_fuzz(sandbox_strv_fuzz SOURCE sandbox_strv_fuzz.c
	LIBS accel_sandbox MODULE sandbox)
