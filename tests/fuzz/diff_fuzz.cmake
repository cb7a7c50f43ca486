# The diff module's fuzz target: the unified patch parser and applier, and
# the diff -> apply round trip on arbitrary bytes.
accel_add_fuzz(diff_patch_fuzz SOURCE diff_patch_fuzz.c
	LIBS accel_diff MODULE diff)
