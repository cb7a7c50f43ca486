'use strict';
/*
 * The process-wide engine behind agent-accel/keep-up.
 *
 * Exports:
 *   getEngine() -> Engine | null   the shared engine, started on first use
 *   engineError() -> Error | null  why getEngine() returned null
 *   noEngine(fallback) -> Error    the EACCEL_NO_ENGINE error a drop-in
 *                                  throws without an engine (its cause:
 *                                  engineError())
 *   withEngine(run, fallback)      run(engine), or fallback() without one; a
 *                                  call that finds the engine dead runs
 *                                  once more on its successor (stateless
 *                                  ops only: the dead engine's state is gone)
 *   configureEngine(opts)          Engine.startSync options for the next start
 *   resetEngine()                  closes the shared engine; the next
 *                                  getEngine() starts afresh (tests)
 *
 * keep-up's call sites are synchronous and expect a native addon that is
 * simply there, or absent (then they fall back to JS). So the engine starts
 * lazily with Engine.startSync() on the first getEngine() and is shared by
 * every keep-up object of the process. getEngine() returns null, never
 * throws, when the addon cannot load, the engine cannot start, or
 * $ACCEL_KEEPUP_DISABLE is 1/true/yes: the caller then does what keep-up
 * does without its addon.
 *
 * Death: when the engine died (killed, crashed), the next getEngine()
 * starts one new engine. If that one dies too, or a start fails, getEngine()
 * returns null from then on: a runtime whose engine keeps dying is better
 * served by its JS fallbacks than by a restart on every call. State held in
 * the dead engine (symbol indexes) is gone; objects bound to it see a new,
 * empty engine (see their modules).
 *
 * Lifetime: the engine child and the session's handles are unref'ed while
 * no call is pending, so the shared engine never keeps the Node process
 * alive; the engine exits when this process goes (EOF on its socket).
 */

let lib; /* require('../index.js'), or null when the addon cannot load */
let eng = null;
let error = null;
let restarts = 0;
let options = {};

const MAX_RESTARTS = 1;

function disabled() {
	const v = process.env.ACCEL_KEEPUP_DISABLE;
	if (!v)
		return false;
	const s = v.trim().toLowerCase();
	return s === '1' || s === 'true' || s === 'yes';
}

function loadLib() {
	if (lib === undefined) {
		try {
			lib = require('../index.js');
		} catch (e) {
			lib = null;
			error = e;
		}
	}
	return lib;
}

function start() {
	try {
		eng = lib.Engine.startSync(options);
	} catch (e) {
		eng = null;
		error = e;
	}
	return eng;
}

function getEngine() {
	if (eng !== null) {
		if (eng.state === 'open')
			return eng;
		/* Closed by someone: start anew, as on first use. */
		if (eng.state === 'closed')
			return start();
		if (restarts >= MAX_RESTARTS) {
			error = deathError();
			eng = null;
			return null;
		}
		/* Dead: one new engine. */
		restarts++;
		eng = null;
		return start();
	}
	if (error !== null)
		return null;
	if (disabled()) {
		error = new Error('agent-accel/keep-up: disabled by ' +
				  '$ACCEL_KEEPUP_DISABLE');
		return null;
	}
	if (loadLib() === null)
		return null;
	return start();
}

function deathError() {
	const e = new Error('agent-accel/keep-up: the engine died again ' +
			    'after a restart; using the JS fallbacks');
	e.code = 'EACCEL_ENGINE_DIED';
	return e;
}

/*
 * run(engine) on the shared engine, or fallback() when there is none. The
 * engine may have died since the last call without the event loop having
 * noticed: such a call throws EACCEL_ENGINE_DIED, and run goes once more to
 * the successor (or to the fallback). Other errors propagate.
 */
function withEngine(run, fallback) {
	const e = getEngine();
	if (e === null)
		return fallback();
	try {
		return run(e);
	} catch (err) {
		if (err === null || typeof err !== 'object' ||
		    err.code !== 'EACCEL_ENGINE_DIED')
			throw err;
	}
	const next = getEngine();
	return next === null ? fallback() : run(next);
}

function engineError() {
	return error;
}

function noEngine(fallback) {
	const e = new Error('agent-accel/keep-up: no engine (see ' +
			    `engineError()); use the JS ${fallback}`);
	e.code = 'EACCEL_NO_ENGINE';
	if (lib)
		e.errno = lib.codes.EACCEL_NO_ENGINE;
	if (error)
		e.cause = error;
	return e;
}

/*
 * Options of Engine.startSync() (enginePath, workers, syncSpinUs, ...) for
 * the next start. Does not restart a running engine.
 */
function configureEngine(opts) {
	if (opts === null || typeof opts !== 'object')
		throw new TypeError('configureEngine(opts): opts must be an object');
	options = { ...opts };
}

/* Closes the shared engine and forgets every failure (tests, reconfigure). */
function resetEngine() {
	const e = eng;
	eng = null;
	error = lib === null ? error : null;
	restarts = 0;
	return e !== null && e.state === 'open' ? e.close() :
		Promise.resolve();
}

module.exports = { getEngine, withEngine, engineError, noEngine,
		   configureEngine, resetEngine };
