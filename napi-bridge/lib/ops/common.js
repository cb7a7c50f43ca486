'use strict';
/*
 * Helpers the op modules share: the byte inputs every op accepts (a string,
 * sent as UTF-8, or a Buffer / TypedArray / DataView / ArrayBuffer /
 * SharedArrayBuffer, never copied) and the per-engine facades
 * (eng.symbols, eng.store, ...).
 */
const { typeError } = require('../argerr');

function isBytes(v) {
	return ArrayBuffer.isView(v) || v instanceof ArrayBuffer ||
		v instanceof SharedArrayBuffer;
}

function isData(v) {
	return typeof v === 'string' || isBytes(v);
}

function checkData(name, v) {
	if (!isData(v))
		throw typeError(`${name} must be a string, Buffer, TypedArray, ` +
				'DataView or ArrayBuffer');
}

/* A Buffer over the bytes of v without copying (strings are encoded). */
function bytesOf(v) {
	if (typeof v === 'string')
		return Buffer.from(v, 'utf8');
	if (Buffer.isBuffer(v))
		return v;
	if (ArrayBuffer.isView(v))
		return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
	return Buffer.from(v);
}

function byteLen(v) {
	return typeof v === 'string' ? Buffer.byteLength(v, 'utf8') :
		v.byteLength;
}

/* A getter that gives each engine one instance of Cls (made on first use). */
function facade(map, Cls) {
	return function () {
		let f = map.get(this);
		if (!f) {
			f = new Cls(this);
			map.set(this, f);
		}
		return f;
	};
}

module.exports = { isBytes, isData, checkData, bytesOf, byteLen, facade };
