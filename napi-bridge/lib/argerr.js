'use strict';
/*
 * Argument errors with Node's codes, shared by the package and its op
 * modules: a TypeError ('ERR_INVALID_ARG_TYPE' unless another code is given,
 * e.g. 'ERR_INVALID_ARG_VALUE') or a RangeError ('ERR_OUT_OF_RANGE').
 */
function typeError(msg, code = 'ERR_INVALID_ARG_TYPE') {
	const e = new TypeError(msg);
	e.code = code;
	return e;
}

function rangeError(msg) {
	const e = new RangeError(msg);
	e.code = 'ERR_OUT_OF_RANGE';
	return e;
}

module.exports = { typeError, rangeError };
