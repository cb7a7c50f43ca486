/* SPDX-License-Identifier: MIT */
/*
 * Queries while files are updated: every query sees a file either before
 * or after an update, never half of one (scenario in stress.c). The
 * ThreadSanitizer build runs the same scenario through test_symbols_stress.
 */
#include <criterion/criterion.h>

#include "stress.h"

Test(symbols_concurrency, queries_see_whole_files, .timeout = 120)
{
	long checked = 0;
	unsigned last = 0;
	int torn = symbols_stress_run(300, &checked, &last);

	cr_assert_eq(torn, 0, "torn reads, last count %u", last);
	cr_assert_gt(checked, 0);
}
