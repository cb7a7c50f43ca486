/* SPDX-License-Identifier: MIT */
/* Standalone run of the concurrency scenario (for TSan builds). */
#include <stdio.h>
#include <stdlib.h>

#include "stress.h"

int main(int argc, char **argv)
{
	long checked = 0;
	unsigned last = 0;
	int rounds = argc > 1 ? atoi(argv[1]) : 300;
	int torn = symbols_stress_run(rounds, &checked, &last);

	printf("%d rounds, %ld reader iterations, %d torn (last %u)\n", rounds,
	       checked, torn, last);
	return torn == 0 && checked > 0 ? 0 : 1;
}
