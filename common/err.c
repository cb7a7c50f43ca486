/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <string.h>

#include "accel_err.h"

struct err_entry {
	int num;
	const char *name;
	const char *msg;
};

static const struct err_entry err_table[] = {
#define ACCEL_ERR(name, num, msg) { num, #name, msg },
#include "errors/core.def"
#include "errors/sandbox.def"
#include "errors/diff.def"
#include "errors/tokens.def"
#include "errors/context.def"
#include "errors/symbols.def"
#include "errors/keepup.def"
#undef ACCEL_ERR
};

static const struct err_entry *err_find(int code)
{
	if (code < 0)
		code = -code;
	for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].num == code)
			return &err_table[i];
	return NULL;
}

const char *accel_strerror(int code)
{
	const struct err_entry *e;

	if (code < 0)
		code = -code;
	if (code == 0)
		return "success";
	if (code < ACCEL_E_BASE)
		return strerror(code);
	e = err_find(code);
	return e ? e->msg : "unknown agent-accel error";
}

const char *accel_errname(int code)
{
	const struct err_entry *e;

	if (code < 0)
		code = -code;
	if (code > 0 && code < ACCEL_E_BASE)
		return strerrorname_np(code);
	e = err_find(code);
	return e ? e->name : NULL;
}
