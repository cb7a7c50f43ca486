/* SPDX-License-Identifier: MIT */
#ifndef TEST_SYMBOLS_STRESS_H
#define TEST_SYMBOLS_STRESS_H

/*
 * Runs the concurrent update/query scenario for `rounds` updates. Returns
 * the number of torn or failed reads (0 is the pass), -1 on setup failure;
 * *checked counts reader iterations, *last_bad the last bad count seen.
 */
int symbols_stress_run(int rounds, long *checked, unsigned *last_bad);

#endif
