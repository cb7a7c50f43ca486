'use strict';
/*
 * agent-accel/keep-up: drop-ins for the native addons of the keep-up agent
 * runtime (npm scope @ku0), over one shared engine (./engine.js). Each
 * module mirrors one addon's interface; docs/keep-up.md says how to swap
 * each one and what differs.
 *
 *   ./symbols    createSymbolIndex(), ImportGraph      (symbol-index-rs)
 *   ./tokenizer  countTokens, compressContext, ...     (tokenizer-rs)
 *   ./diff       diffLines, createTwoFilesPatch, ...   (diff-rs)
 *   ./exec       command executors                    (agent-runtime-execution)
 *   ./sandbox    createSandbox()                      (sandbox-rs)
 *   ./storage    StorageEngine                        (storage-engine-rs)
 */

const engine = require('./engine');
const symbols = require('./symbols');
const tokenizer = require('./tokenizer');
const diff = require('./diff');
const exec = require('./exec');
const sandbox = require('./sandbox');
const storage = require('./storage');

module.exports = {
	getEngine: engine.getEngine,
	withEngine: engine.withEngine,
	engineError: engine.engineError,
	configureEngine: engine.configureEngine,
	resetEngine: engine.resetEngine,
	...symbols,
	...tokenizer,
	/* diff's formatPatch is internal; loadNativeBinding is diff-rs's. */
	loadNativeBinding: diff.loadNativeBinding,
	diffLines: diff.diffLines,
	diffUnified: diff.diffUnified,
	createTwoFilesPatch: diff.createTwoFilesPatch,
	applyPatch: diff.applyPatch,
	reversePatch: diff.reversePatch,
	...exec,
	...sandbox,
	...storage,
};
