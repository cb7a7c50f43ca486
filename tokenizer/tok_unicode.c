/* SPDX-License-Identifier: MIT */
/*
 * Character classes for the split patterns, built once per process from
 * utf8proc's general categories. Nothing here is typed by hand except the
 * few code points the two regex dialects define \s with beyond the Zs, Zl
 * and Zp categories (ECMA-262 WhiteSpace/LineTerminator; Unicode PropList
 * White_Space = Zs + Zl + Zp + U+0009..U+000D + U+0085).
 */
#include <pthread.h>
#include <string.h>

#include <utf8proc.h>
#include <xxhash.h>

#include "tok_int.h"

#define N_BLOCKS 0x1100

const uint16_t *accel__tok_stage1;
const uint8_t *accel__tok_stage2;
uint8_t accel__tok_ascii[128];

static pthread_once_t classes_once = PTHREAD_ONCE_INIT;
static uint16_t stage1[N_BLOCKS];
/* Sized for the worst case; only the unique blocks are ever touched. */
static uint8_t stage2[(size_t)N_BLOCKS * 256];
static uint64_t block_hash[N_BLOCKS];

static unsigned class_of(uint32_t cp)
{
	unsigned c = 0;

	switch (utf8proc_category((utf8proc_int32_t)cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LT:
		c = TOK_L | TOK_U;
		break;
	case UTF8PROC_CATEGORY_LL:
		c = TOK_L | TOK_W;
		break;
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
		c = TOK_L | TOK_U | TOK_W;
		break;
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
		c = TOK_U | TOK_W;
		break;
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
		c = TOK_N;
		break;
	case UTF8PROC_CATEGORY_ZS:
		c = TOK_SJ | TOK_SU;
		break;
	case UTF8PROC_CATEGORY_ZL:
	case UTF8PROC_CATEGORY_ZP:
		c = TOK_SJ | TOK_SU;
		break;
	default:
		break;
	}
	if (cp >= 0x09 && cp <= 0x0d)
		c |= TOK_SJ | TOK_SU;
	if (cp == 0x85)
		c |= TOK_SU;
	if (cp == 0xfeff)
		c |= TOK_SJ;
	if (cp == '\r' || cp == '\n')
		c |= TOK_NL;
	return c;
}

/*
 * Two-stage table: blocks of 256 code points, identical blocks stored once
 * (most of the 4352 blocks are unassigned or one script), which keeps the
 * table small enough to stay in cache.
 */
static void classes_build(void)
{
	uint8_t cur[256];
	unsigned n_unique = 0;

	for (uint32_t b = 0; b < N_BLOCKS; b++) {
		uint64_t h;
		unsigned u;

		for (uint32_t k = 0; k < 256; k++)
			cur[k] = (uint8_t)class_of(b * 256 + k);
		h = XXH3_64bits(cur, sizeof(cur));
		for (u = 0; u < n_unique; u++)
			if (block_hash[u] == h &&
			    !memcmp(stage2 + (size_t)u * 256, cur, 256))
				break;
		if (u == n_unique) {
			memcpy(stage2 + (size_t)u * 256, cur, 256);
			block_hash[u] = h;
			n_unique++;
		}
		stage1[b] = (uint16_t)u;
	}
	for (uint32_t cp = 0; cp < 128; cp++)
		accel__tok_ascii[cp] = stage2[(size_t)stage1[0] * 256 + cp];
	accel__tok_stage1 = stage1;
	accel__tok_stage2 = stage2;
}

void accel__tok_classes_init(void)
{
	pthread_once(&classes_once, classes_build);
}
