/* SPDX-License-Identifier: MIT */
#ifndef ACCEL_RING_BARRIER_H
#define ACCEL_RING_BARRIER_H

#include <stdatomic.h>
#include <stdint.h>

/*
 * Every access to a word that the other process also touches goes through
 * these macros, so that the memory ordering of the protocol is visible in one
 * place. The wire structs keep plain uint32_t fields (no _Atomic in a wire
 * struct); the cast is how liburing and the kernel's uapi users do it.
 */
#define accel_load_acquire(p)                                 \
	atomic_load_explicit((_Atomic __typeof__(*(p)) *)(p), \
			     memory_order_acquire)
#define accel_load_relaxed(p)                                 \
	atomic_load_explicit((_Atomic __typeof__(*(p)) *)(p), \
			     memory_order_relaxed)
#define accel_store_release(p, v)                                   \
	atomic_store_explicit((_Atomic __typeof__(*(p)) *)(p), (v), \
			      memory_order_release)
#define accel_store_relaxed(p, v)                                   \
	atomic_store_explicit((_Atomic __typeof__(*(p)) *)(p), (v), \
			      memory_order_relaxed)
#define accel_fetch_add_release(p, v)                                   \
	atomic_fetch_add_explicit((_Atomic __typeof__(*(p)) *)(p), (v), \
				  memory_order_release)
#define accel_exchange_acq_rel(p, v)                                   \
	atomic_exchange_explicit((_Atomic __typeof__(*(p)) *)(p), (v), \
				 memory_order_acq_rel)
/* The full fence of the sleep/wake handshake (Dekker's pattern). */
#define accel_smp_mb() atomic_thread_fence(memory_order_seq_cst)

#endif
