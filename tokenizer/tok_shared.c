/* SPDX-License-Identifier: MIT */
/*
 * Process-wide tokenizers, one per encoding and flags. A cl100k_base table
 * costs ~30 MB and a tenth of a second to build, and its per-thread cache
 * of merged pieces (tok_cache.c) is keyed by tokenizer: two loads of the
 * same encoding would pay both twice.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "accel_err.h"
#include "tok_int.h"

#define N_ENCODINGS 3 /* enum accel_tokenizer_encoding, 0 unused */
#define N_FLAGS	    2 /* every combination of ACCEL_TOKENIZER_* flags */
_Static_assert(ACCEL_TOKENIZER_JS_DIALECT == N_FLAGS - 1,
	       "one slot per combination of tokenizer flags");

static _Atomic(const struct accel_tokenizer *) shared[N_ENCODINGS][N_FLAGS];
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;

int accel_tokenizer_shared(uint32_t encoding, uint32_t flags, const char *dir,
			   const struct accel_tokenizer **out)
{
	const char *name = accel_tokenizer_encoding_name(encoding);
	const struct accel_tokenizer *t;
	struct accel_tokenizer *loaded;
	char path[4096];
	int ret = 0;

	if (!name || encoding >= N_ENCODINGS || flags >= N_FLAGS)
		return -ACCEL_E_TOKENS_ENCODING;
	/* Pairs with the release store below: a seen pointer is loaded. */
	t = atomic_load_explicit(&shared[encoding][flags],
				 memory_order_acquire);
	if (t) {
		*out = t;
		return 0;
	}
	if (snprintf(path, sizeof(path), "%s/%s.tiktoken", dir ? dir : ".",
		     name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	pthread_mutex_lock(&shared_lock);
	t = atomic_load_explicit(&shared[encoding][flags],
				 memory_order_relaxed);
	if (!t) {
		struct accel_tokenizer_opts o = {
			.encoding = encoding,
			.flags = flags,
			.rank_file = path,
		};

		ret = accel_tokenizer_create(&o, &loaded);
		if (!ret) {
			t = loaded;
			atomic_store_explicit(&shared[encoding][flags], t,
					      memory_order_release);
		}
	}
	pthread_mutex_unlock(&shared_lock);
	*out = t;
	return ret;
}
