'use strict';
/*
 * keep-up's diff addon (@ku0/diff-rs) over the shared engine, synchronous:
 * diffLines, diffUnified, createTwoFilesPatch (jsdiff's text format, byte
 * for byte), applyPatch, reversePatch.
 *
 * The engine computes the hunks with its 'minimal' Myers: edit scripts as
 * short as jsdiff's and diffy's (git's default Myers gives up minimality on
 * some inputs for speed), though where several minimal scripts exist it may
 * pick another one. The text around them is written here in jsdiff's
 * format: "Index:"
 * when both names are equal, the "===" rule, "--- name\theader", hunk
 * headers "@@ -s,n +s,n @@" (an empty range names the line before it) and
 * "\ No newline at end of file" after a last line without one.
 */

const { getEngine, noEngine } = require('./engine');

const DEFAULT_CONTEXT = 4;
const RULE = '='.repeat(67);
const NO_NL = '\\ No newline at end of file';

function onEngine(fn) {
	let e = getEngine();
	if (e === null)
		throw noEngine('diff');
	try {
		return fn(e);
	} catch (err) {
		if (err === null || typeof err !== 'object' ||
		    err.code !== 'EACCEL_ENGINE_DIED')
			throw err;
	}
	e = getEngine();
	if (e === null)
		throw noEngine('diff');
	return fn(e);
}

function checkString(name, v) {
	if (typeof v !== 'string')
		throw new TypeError(`${name} must be a string`);
}

function checkContext(v) {
	if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 ||
	    v > 0xfffe)
		throw new TypeError('context must be an integer in [0, 65534]');
	return v;
}

/* The engine's hunks of old -> new with `context` lines around each. */
function hunksOf(oldText, newText, context) {
	return onEngine((e) => e.diffSync(oldText, newText, {
		format: 'hunks', context, algorithm: 'minimal' }));
}

/*
 * diffLines(oldText, newText) -> DiffHunk[] with 4 lines of context:
 * {oldStart, oldLines, newStart, newLines, lines: [{type, content,
 * oldLineNo?, newLineNo?}]}, 1-based, contents without their newline.
 */
function diffLines(oldText, newText) {
	checkString('oldText', oldText);
	checkString('newText', newText);
	const out = [];
	for (const h of hunksOf(oldText, newText, DEFAULT_CONTEXT)) {
		const lines = h.lines.map((l) => {
			const o = { type: l.type, content: l.content };
			if (l.oldLineNo !== undefined)
				o.oldLineNo = l.oldLineNo;
			if (l.newLineNo !== undefined)
				o.newLineNo = l.newLineNo;
			return o;
		});
		out.push({ oldStart: h.oldStart, oldLines: h.oldLines,
			   newStart: h.newStart, newLines: h.newLines, lines });
	}
	return out;
}

const MARK = { context: ' ', add: '+', remove: '-' };

/* jsdiff's formatPatch of one file pair. */
function formatPatch(oldName, newName, oldHeader, newHeader, hunks) {
	const out = [];
	if (oldName === newName)
		out.push(`Index: ${oldName}`);
	out.push(RULE);
	out.push(`--- ${oldName}${oldHeader === undefined ? '' : `\t${oldHeader}`}`);
	out.push(`+++ ${newName}${newHeader === undefined ? '' : `\t${newHeader}`}`);
	for (const h of hunks) {
		const os = h.oldLines === 0 ? h.oldStart - 1 : h.oldStart;
		const ns = h.newLines === 0 ? h.newStart - 1 : h.newStart;
		out.push(`@@ -${os},${h.oldLines} +${ns},${h.newLines} @@`);
		for (const l of h.lines) {
			out.push(MARK[l.type] + l.content);
			if (l.noNewline)
				out.push(NO_NL);
		}
	}
	return out.join('\n') + '\n';
}

/* diffUnified(oldText, newText, context = 4): files "original", "modified". */
function diffUnified(oldText, newText, context = DEFAULT_CONTEXT) {
	checkString('oldText', oldText);
	checkString('newText', newText);
	const ctx = checkContext(context);
	return formatPatch('original', 'modified', undefined, undefined,
			   hunksOf(oldText, newText, ctx));
}

/*
 * createTwoFilesPatch(oldName, newName, oldStr, newStr, oldHeader?,
 * newHeader?, {context = 4} | context?) -> jsdiff's text. Options this engine does
 * not implement (callback, ignoreWhitespace, stripTrailingCr, ...) are a
 * TypeError, never silently ignored.
 */
function createTwoFilesPatch(oldName, newName, oldStr, newStr, oldHeader,
			     newHeader, options) {
	checkString('oldFileName', oldName);
	checkString('newFileName', newName);
	checkString('oldStr', oldStr);
	checkString('newStr', newStr);
	if (oldHeader !== undefined)
		checkString('oldHeader', oldHeader);
	if (newHeader !== undefined)
		checkString('newHeader', newHeader);
	let ctx = DEFAULT_CONTEXT;
	if (typeof options === 'number') {
		/* The addon's own signature: context as a number. */
		ctx = checkContext(options);
	} else if (options !== undefined && options !== null) {
		if (typeof options !== 'object')
			throw new TypeError('options must be an object ' +
					    '(callbacks are not supported)');
		for (const k of Object.keys(options))
			if (k !== 'context' && options[k] !== undefined &&
			    options[k] !== false)
				throw new TypeError(`createTwoFilesPatch: option ${k} ` +
						    'is not supported');
		if (options.context !== undefined)
			ctx = checkContext(options.context);
	}
	return formatPatch(oldName, newName, oldHeader, newHeader,
			   hunksOf(oldStr, newStr, ctx));
}

/*
 * applyPatch(original, patch) -> the patched text. Hunks must match exactly
 * (they may have moved, as in jsdiff); a patch of equal texts (file
 * headers, no hunk) returns original. A malformed patch, one without a
 * hunk, or a hunk that does not apply throws an Error whose code says which
 * (EACCEL_DIFF_PATCH_MALFORMED, EACCEL_DIFF_PATCH_EMPTY,
 * EACCEL_DIFF_PATCH_REJECTED) and whose message names the line or hunk.
 */
function applyPatch(original, patch) {
	checkString('original', original);
	checkString('patch', patch);
	let r;
	try {
		r = onEngine((e) => e.applyPatchSync(original, patch, { fuzz: 0 }));
	} catch (err) {
		/* A diff of equal texts: file headers, no hunk. Nothing to do. */
		if (err.code === 'EACCEL_DIFF_PATCH_EMPTY' && FILE_HDR_RE.test(patch))
			return original;
		throw err;
	}
	if (r.rejected > 0) {
		const bad = r.hunks.map((h, i) => ({ ...h, hunk: i + 1 }))
			.filter((h) => h.status === 'rejected');
		const { AccelError, codes } = require('../index.js');
		const e = new AccelError('EACCEL_DIFF_PATCH_REJECTED',
			codes.EACCEL_DIFF_PATCH_REJECTED,
			'some hunks of the patch were rejected',
			`${r.rejected} of ${r.hunks.length} (hunk ${bad.map((h) =>
				h.hunk).join(', ')}): their context or removed ` +
			'lines are not in the text');
		e.rejectedHunks = bad.map((h) => h.hunk);
		throw e;
	}
	return r.text;
}

const FILE_HDR_RE = /^--- .*\n\+\+\+ /m;
const HUNK_RE = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$/;

/*
 * reversePatch(patch) -> the patch that undoes it: file names and hunk
 * ranges swapped, removed lines added and added lines removed (removals
 * first in each change, as diff writes them). Text with neither file
 * headers nor a hunk is not a patch and comes back unchanged.
 */
function reversePatch(patch) {
	checkString('patch', patch);
	const lines = patch.split('\n');
	if (!FILE_HDR_RE.test(patch) && !lines.some((l) => HUNK_RE.test(l)))
		return patch;
	const out = [];
	let i = 0;
	while (i < lines.length) {
		const l = lines[i];
		if (l.startsWith('--- ') && i + 1 < lines.length &&
		    lines[i + 1].startsWith('+++ ')) {
			out.push('--- ' + lines[i + 1].slice(4));
			out.push('+++ ' + l.slice(4));
			i += 2;
			continue;
		}
		const m = HUNK_RE.exec(l);
		if (m === null) {
			out.push(l);
			i++;
			continue;
		}
		const oc = m[2] === undefined ? '' : `,${m[2]}`;
		const nc = m[4] === undefined ? '' : `,${m[4]}`;
		out.push(`@@ -${m[3]}${nc} +${m[1]}${oc} @@${m[5]}`);
		i = reverseHunk(lines, i + 1, out);
	}
	return out.join('\n');
}

/*
 * Copies one hunk's body from lines[i] on, reversed, into out; returns the
 * index after it. A change (a run of - and + lines) becomes its + lines as
 * - lines, then its - lines as + lines; a "\" marker stays with its line.
 */
function reverseHunk(lines, i, out) {
	let rem = [];
	let add = [];
	const flush = () => {
		for (const x of add)
			out.push('-' + x.slice(1));
		for (const x of rem)
			out.push('+' + x.slice(1));
		rem = [];
		add = [];
	};
	let last = null;
	for (; i < lines.length; i++) {
		const l = lines[i];
		const c = l[0];
		if (c === '-' && !l.startsWith('--- ')) {
			rem.push(l);
			last = rem;
		} else if (c === '+' && !l.startsWith('+++ ')) {
			add.push(l);
			last = add;
		} else if (c === '\\') {
			if (last === null)
				out.push(l);
			else
				last[last.length - 1] += '\n' + l;
		} else if (c === ' ' || (l === '' && i + 1 < lines.length &&
					 /^[ +\-\\]/.test(lines[i + 1]))) {
			flush();
			out.push(l);
			last = null;
		} else {
			break;
		}
	}
	flush();
	return i;
}

const binding = Object.freeze({
	diffLines,
	diffUnified,
	createTwoFilesPatch,
	applyPatch,
	reversePatch,
});

/*
 * keep-up's loadNativeBinding() of diff-rs: the five functions, or null
 * without an engine (keep-up then uses jsdiff).
 */
function loadNativeBinding() {
	return getEngine() === null ? null : binding;
}

module.exports = {
	loadNativeBinding,
	diffLines,
	diffUnified,
	createTwoFilesPatch,
	applyPatch,
	reversePatch,
	formatPatch,
};
