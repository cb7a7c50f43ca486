// ESM entry of agent-accel/keep-up: the same objects as the CommonJS module.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const keepup = require('./index.js');

export const {
	getEngine,
	withEngine,
	engineError,
	configureEngine,
	resetEngine,
	createSymbolIndex,
	createImportGraph,
	SymbolIndex,
	ImportGraph,
	countTokens,
	countTokensBatch,
	estimateJsonTokens,
	compressContext,
	compressPayloadZstd,
	decompressPayloadZstd,
	encodingForModel,
	getNativeTokenizer,
	loadNativeBinding,
	diffLines,
	diffUnified,
	createTwoFilesPatch,
	applyPatch,
	reversePatch,
	ProcessBashExecutor,
	RustBashExecutor,
	createSandbox,
	Sandbox,
	realPath,
	acquireEngine,
	StorageEngine,
	isNativeStorageEngineAvailable,
} = keepup;
export default keepup;
