// ESM entry: the same objects as the CommonJS module.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const accel = require('./index.js');

export const {
	Engine,
	AccelError,
	AbortError,
	codes,
	ops,
	errorName,
	addonPath,
	enginePath,
} = accel;
export default accel;
