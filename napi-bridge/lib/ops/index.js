'use strict';
/*
 * The JS surfaces of the engine's ops beyond the spine: one module per op
 * module (diff, tokens, context, symbols, exec, ...), each exporting
 * install(Engine, lib) that adds its methods to Engine.prototype on top of
 * the generic call()/callSync() (docs/node.md, "Adding an op's JS method").
 * Add one line per module to MODULES.
 */
const MODULES = [
	'diff',
	'tokens',
	'context',
	'symbols',
	'exec',
];

module.exports = function installOps(Engine, lib) {
	for (const name of MODULES)
		require(`./${name}`).install(Engine, lib);
};
