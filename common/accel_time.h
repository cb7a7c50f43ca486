/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_TIME_H
#define ACCEL_TIME_H

#include <stdint.h>
#include <time.h>

/* Monotonic nanoseconds (vDSO, no syscall). */
static inline uint64_t accel_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Cheap pause for spin loops. */
static inline void accel_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

#endif
