/* SPDX-License-Identifier: MIT */
#include "../engine_int.h"

/* The op table, generated from ops.def: one line there adds an op. */

#define ACCEL_OP(id, name) extern const struct accel_op_desc accel_op_##name;
#include "ops.def"
#undef ACCEL_OP

const struct accel_op_desc *const accel_op_table[ACCEL_OP_MAX] = {
#define ACCEL_OP(id, name) [id] = &accel_op_##name,
#include "ops.def"
#undef ACCEL_OP
};

/* Ids must be in range and not the cancel op. */
#define ACCEL_OP(id, name) \
	_Static_assert((id) > 0 && (id) < ACCEL_OP_MAX, "op id " #name);
#include "ops.def"
#undef ACCEL_OP
