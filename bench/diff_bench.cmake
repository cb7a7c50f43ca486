# Our line diff against libgit2's (git's xdiff) in-process and `git diff
# --no-index` as a process, on tests/diff/make_pairs.sh's real pairs.
# bench/diff_run.sh builds the pairs and runs it.
pkg_check_modules(LIBGIT2 IMPORTED_TARGET libgit2)
if(LIBGIT2_FOUND)
	accel_add_bench(diff_bench SOURCES diff_bench.c
		LIBS accel_diff PkgConfig::LIBGIT2)
else()
	message(WARNING "libgit2 not found (libgit2-dev): no diff_bench")
endif()
