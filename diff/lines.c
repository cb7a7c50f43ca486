/* SPDX-License-Identifier: MIT */
/*
 * Splitting inputs into records and interning them into classes.
 *
 * Every record is hashed once with XXH3 (inlined: most lines are short, so
 * the call overhead of the library function would dominate) and looked up
 * in one open-addressing table shared by both files. Equal records get the
 * same class id, so the algorithms compare 32-bit integers only. Under the
 * whitespace flags a record is hashed and compared in its normalised form.
 */
#include <errno.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "accel_alloc.h"
#include "accel_compiler.h"
#include "accel_err.h"
#include "diff_int.h"

#define WS_FLAGS                                                  \
	(ACCEL_DIFF_IGNORE_WS_ALL | ACCEL_DIFF_IGNORE_WS_CHANGE | \
	 ACCEL_DIFF_IGNORE_WS_EOL | ACCEL_DIFF_IGNORE_CR_EOL)

int accel_diff_is_binary(const char *buf, size_t len)
{
	/* git's buffer_is_binary(): a NUL in the first 8000 bytes. */
	return memchr(buf, 0, len < 8000 ? len : 8000) != NULL;
}

static inline int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

int accel__diff_is_blank(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_space((unsigned char)p[i]))
			return 0;
	return 1;
}

/*
 * Writes the normalised form of a record into dst (which has room for len
 * bytes: normalising never grows a record) and returns its length. The
 * rules are those of git's xdl_recmatch(): -w drops all whitespace, -b
 * turns each run into one space and drops trailing whitespace,
 * --ignore-space-at-eol drops trailing whitespace, --ignore-cr-at-eol drops
 * a CR that ends the line.
 */
static size_t normalize(const char *p, size_t len, uint32_t flags, char *dst)
{
	size_t n = 0, i = 0;

	if (flags & ACCEL_DIFF_IGNORE_WS_ALL) {
		for (; i < len; i++)
			if (!is_space((unsigned char)p[i]))
				dst[n++] = p[i];
		return n;
	}
	if (flags & ACCEL_DIFF_IGNORE_WS_CHANGE) {
		while (i < len) {
			if (is_space((unsigned char)p[i])) {
				while (i < len && is_space((unsigned char)p[i]))
					i++;
				if (i < len)
					dst[n++] = ' ';
			} else {
				dst[n++] = p[i++];
			}
		}
		return n;
	}
	if (flags & ACCEL_DIFF_IGNORE_WS_EOL) {
		while (len && is_space((unsigned char)p[len - 1]))
			len--;
		memcpy(dst, p, len);
		return len;
	}
	/* ACCEL_DIFF_IGNORE_CR_EOL */
	memcpy(dst, p, len);
	if (len >= 2 && p[len - 2] == '\r' && p[len - 1] == '\n') {
		dst[len - 2] = '\n';
		return len - 1;
	}
	if (len >= 1 && p[len - 1] == '\r')
		return len - 1;
	return len;
}

static inline int word_byte(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

/* Length of the token at p (mode: ACCEL_DIFF_WORDS or ACCEL_DIFF_CHARS). */
static size_t token_len(const unsigned char *p, size_t left, uint32_t mode)
{
	size_t n = 1;

	if (mode == ACCEL_DIFF_CHARS) {
		/* One UTF-8 code point; a stray byte is a token of its own. */
		if (p[0] >= 0xc0)
			while (n < left && n < 4 && (p[n] & 0xc0) == 0x80)
				n++;
		return n;
	}
	if (word_byte(p[0])) {
		while (n < left && word_byte(p[n]))
			n++;
	} else if (is_space(p[0])) {
		while (n < left && is_space(p[n]) && p[n] != '\n' &&
		       p[0] != '\n')
			n++;
	}
	return n;
}

/* Splits into tokens instead of lines: records are tokens. */
static int split_tokens(struct dfile *f, const char *p, size_t len,
			uint32_t mode)
{
	const unsigned char *u = (const unsigned char *)p;
	uint32_t n = 0;
	size_t i;

	for (i = 0; i < len; i += token_len(u + i, len - i, mode))
		n++;
	f->base = p;
	f->nrec = n;
	f->off = accel_malloc(((size_t)n + 1) * sizeof(*f->off));
	f->ha = accel_malloc(((size_t)n + 1) * sizeof(*f->ha));
	f->rchg = accel_calloc((size_t)n + 2, 1);
	if (!f->off || !f->ha || !f->rchg)
		return -ENOMEM;
	f->rchg++;
	n = 0;
	for (i = 0; i < len; i += token_len(u + i, len - i, mode))
		f->off[n++] = (uint32_t)i;
	f->off[n] = (uint32_t)len;
	return 0;
}

static int split(struct dfile *f, const char *p, size_t len)
{
	const char *end = p + len, *q = p;
	uint32_t n = 0, cap;

	/* Counting first costs one extra memchr pass but no realloc. */
	while (q < end) {
		const char *nl = memchr(q, '\n', (size_t)(end - q));

		n++;
		q = nl ? nl + 1 : end;
	}
	f->base = p;
	f->nrec = n;
	cap = n + 1;
	f->off = accel_malloc((size_t)cap * sizeof(*f->off));
	f->ha = accel_malloc((size_t)cap * sizeof(*f->ha));
	f->rchg = accel_calloc((size_t)n + 2, 1);
	if (!f->off || !f->ha || !f->rchg)
		return -ENOMEM;
	f->rchg++;
	q = p;
	for (uint32_t i = 0; i < n; i++) {
		const char *nl = memchr(q, '\n', (size_t)(end - q));

		f->off[i] = (uint32_t)(q - p);
		q = nl ? nl + 1 : end;
	}
	f->off[n] = (uint32_t)len;
	return 0;
}

/* The intern table: slots hold class id + 1, 0 is empty. */
struct itab {
	uint32_t *slot;
	uint32_t mask;
	uint64_t *chash;   /* hash of each class */
	const char **cptr; /* representative record of each class */
	uint32_t *clen;
	uint32_t ncls;
	char *nbuf1, *nbuf2; /* normalisation scratch (whitespace flags) */
};

static void classify(struct itab *t, struct dfile *f, uint32_t flags)
{
	const int ws = (flags & WS_FLAGS) != 0;

	for (uint32_t i = 0; i < f->nrec; i++) {
		const char *p = rec_ptr(f, i);
		uint32_t len = rec_len(f, i), plen = len;
		const char *key = p;
		uint64_t h;
		uint32_t pos, s;

		if (ws) {
			plen = (uint32_t)normalize(p, len, flags, t->nbuf1);
			key = t->nbuf1;
		}
		h = XXH3_64bits(key, plen);
		pos = (uint32_t)h & t->mask;
		while ((s = t->slot[pos]) != 0) {
			uint32_t c = s - 1;

			if (t->chash[c] == h) {
				if (!ws) {
					if (t->clen[c] == len &&
					    !memcmp(t->cptr[c], p, len))
						break;
				} else {
					size_t l2 = normalize(t->cptr[c],
							      t->clen[c], flags,
							      t->nbuf2);

					if (l2 == plen &&
					    !memcmp(t->nbuf2, key, plen))
						break;
				}
			}
			pos = (pos + 1) & t->mask;
		}
		if (!s) {
			uint32_t c = t->ncls++;

			t->chash[c] = h;
			t->cptr[c] = p;
			t->clen[c] = len;
			t->slot[pos] = c + 1;
			s = c + 1;
		}
		f->ha[i] = s - 1;
	}
}

static int prepare(struct denv *env, const char *a, size_t alen, const char *b,
		   size_t blen, uint32_t flags, int tokens, uint32_t mode)
{
	struct itab t = { 0 };
	uint64_t total, cap = 16;
	size_t maxlen = 0;
	int ret;

	memset(env, 0, sizeof(*env));
	env->flags = flags;
	if (alen > ACCEL_DIFF_MAX_INPUT || blen > ACCEL_DIFF_MAX_INPUT)
		return -ACCEL_E_TOO_LARGE;
	ret = tokens ? split_tokens(&env->f1, a, alen, mode) :
		       split(&env->f1, a, alen);
	if (ret)
		goto err;
	ret = tokens ? split_tokens(&env->f2, b, blen, mode) :
		       split(&env->f2, b, blen);
	if (ret)
		goto err;

	total = (uint64_t)env->f1.nrec + env->f2.nrec;
	while (cap < total * 2)
		cap <<= 1;
	ret = -ENOMEM;
	t.mask = (uint32_t)(cap - 1);
	t.slot = accel_calloc(cap, sizeof(*t.slot));
	t.chash = accel_malloc((total + 1) * sizeof(*t.chash));
	t.cptr = accel_malloc((total + 1) * sizeof(*t.cptr));
	t.clen = accel_malloc((total + 1) * sizeof(*t.clen));
	if (!t.slot || !t.chash || !t.cptr || !t.clen)
		goto err_tab;
	if (flags & WS_FLAGS) {
		for (uint32_t i = 0; i < env->f1.nrec; i++)
			maxlen = ACCEL_MAX(maxlen, rec_len(&env->f1, i));
		for (uint32_t i = 0; i < env->f2.nrec; i++)
			maxlen = ACCEL_MAX(maxlen, rec_len(&env->f2, i));
		t.nbuf1 = accel_malloc(maxlen + 1);
		t.nbuf2 = accel_malloc(maxlen + 1);
		if (!t.nbuf1 || !t.nbuf2)
			goto err_tab;
	}
	classify(&t, &env->f1, flags);
	classify(&t, &env->f2, flags);
	env->ncls = t.ncls;
	env->cnt1 = accel_calloc((size_t)t.ncls + 1, sizeof(*env->cnt1));
	env->cnt2 = accel_calloc((size_t)t.ncls + 1, sizeof(*env->cnt2));
	if (!env->cnt1 || !env->cnt2)
		goto err_tab;
	ret = 0;
err_tab:
	accel_free(t.slot);
	accel_free(t.chash);
	accel_free(t.cptr);
	accel_free(t.clen);
	accel_free(t.nbuf1);
	accel_free(t.nbuf2);
	if (!ret)
		return 0;
err:
	accel__diff_free(env);
	return ret;
}

int accel__diff_prepare(struct denv *env, const char *a, size_t alen,
			const char *b, size_t blen, uint32_t flags)
{
	return prepare(env, a, alen, b, blen, flags, 0, 0);
}

int accel__diff_prepare_tokens(struct denv *env, const char *a, size_t alen,
			       const char *b, size_t blen, uint32_t mode)
{
	return prepare(env, a, alen, b, blen, 0, 1, mode);
}

static void file_free(struct dfile *f)
{
	accel_free(f->off);
	accel_free(f->ha);
	if (f->rchg)
		accel_free(f->rchg - 1);
	memset(f, 0, sizeof(*f));
}

void accel__diff_free(struct denv *env)
{
	file_free(&env->f1);
	file_free(&env->f2);
	accel_free(env->cnt1);
	accel_free(env->cnt2);
	env->cnt1 = env->cnt2 = NULL;
}

int accel__diff_rec_equal(const char *a, size_t alen, const char *b,
			  size_t blen, uint32_t flags)
{
	char sa[256], sb[256], *na = sa, *nb = sb;
	size_t la, lb;
	int eq = -ENOMEM;

	if (!(flags & WS_FLAGS))
		return alen == blen && !memcmp(a, b, alen);
	if (alen > sizeof(sa))
		na = accel_malloc(alen);
	if (blen > sizeof(sb))
		nb = accel_malloc(blen);
	if (na && nb) {
		la = normalize(a, alen, flags, na);
		lb = normalize(b, blen, flags, nb);
		eq = la == lb && !memcmp(na, nb, la);
	}
	if (na != sa)
		accel_free(na);
	if (nb != sb)
		accel_free(nb);
	return eq;
}
