/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_TSAN_H
#define ACCEL_TSAN_H

/*
 * Happens-before edges that ThreadSanitizer cannot see by itself because they
 * pass through another process. A result block is written by one engine
 * thread, handed to the client in a CQE, released by the client through the
 * release ring, freed by the poller and reused by another thread: the order
 * is real (each step acquires what the previous released) but two of the
 * steps run in the client. ACCEL_TSAN_RELEASE(p) where the engine hands p
 * out and ACCEL_TSAN_ACQUIRE(p) where it takes p back tell TSan so. Without
 * TSan both are nothing.
 */
#if defined(__SANITIZE_THREAD__)
#define ACCEL_HAVE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ACCEL_HAVE_TSAN 1
#endif
#endif

#ifdef ACCEL_HAVE_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define ACCEL_TSAN_ACQUIRE(p) __tsan_acquire((void *)(p))
#define ACCEL_TSAN_RELEASE(p) __tsan_release((void *)(p))
#else
#define ACCEL_TSAN_ACQUIRE(p) ((void)(p))
#define ACCEL_TSAN_RELEASE(p) ((void)(p))
#endif

#endif
