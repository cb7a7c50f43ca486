/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "engine_int.h"

/* The engine's log (stderr) and the main thread's wake-up eventfd. */

static atomic_int verbose;
static atomic_int wakefd = -1;

int accel__log_verbose(int on)
{
	if (on >= 0)
		atomic_store(&verbose, on);
	return atomic_load(&verbose);
}

__attribute__((format(printf, 1, 0))) static void vlog(const char *fmt,
						       va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "agent-acceld[%d]: %s\n", (int)getpid(), line);
}

void accel__log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void accel__debug(const char *fmt, ...)
{
	va_list ap;

	if (!atomic_load_explicit(&verbose, memory_order_relaxed))
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void accel__engine_set_wakefd(int fd)
{
	atomic_store(&wakefd, fd);
}

void accel__engine_session_ended(void)
{
	uint64_t one = 1;
	int fd = atomic_load(&wakefd);

	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0)
		accel__debug("wake write failed");
}
