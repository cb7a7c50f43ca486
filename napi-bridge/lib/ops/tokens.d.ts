// Typings of lib/ops/tokens.js: eng.countTokens / encode / decode / isWithinLimit.
import '../index';
import type { AsyncOptions } from '../index';

export type TokenizerEncoding = 'cl100k_base' | 'o200k_base';

/** Special-token names: cl100k_base has the five below, o200k_base the
 * first and the last. */
export type SpecialToken =
	| '<|endoftext|>'
	| '<|fim_prefix|>'
	| '<|fim_middle|>'
	| '<|fim_suffix|>'
	| '<|endofprompt|>';

export type TokenText = string | ArrayBufferView | ArrayBuffer;

export interface TokenizeOptions {
	/** Special tokens encoded as such (default none), as in tiktoken. */
	allowedSpecial?: 'all' | readonly SpecialToken[] | ReadonlySet<SpecialToken>;
	/** Special-token text that is an error (default 'all' = every one not
	 * allowed; EACCEL_TOKENS_SPECIAL). [] encodes it as ordinary text. */
	disallowedSpecial?: 'all' | readonly SpecialToken[] | ReadonlySet<SpecialToken>;
	/** Pre-tokenizer: tiktoken's (Rust regex, default) or js-tiktoken's
	 * (JavaScript regex: U+FEFF is white space, U+0085 is not). */
	dialect?: 'tiktoken' | 'js-tiktoken';
	/** Bytes input: invalid UTF-8 becomes U+FFFD first (TextDecoder's rule). */
	replaceInvalid?: boolean;
}

export interface DecodeOptions {
	dialect?: 'tiktoken' | 'js-tiktoken';
}

declare module '../index' {
	interface Engine {
		/** Token count without building the ids; = encode(...).length. */
		countTokens(text: TokenText, encoding?: TokenizerEncoding,
			opts?: TokenizeOptions & AsyncOptions): Promise<number>;
		countTokensSync(text: TokenText, encoding?: TokenizerEncoding,
			opts?: TokenizeOptions): number;
		/** false when over limit, else the exact count (tiktoken's isWithinTokenLimit). */
		isWithinLimit(text: TokenText, limit: number, encoding?: TokenizerEncoding,
			opts?: TokenizeOptions & AsyncOptions): Promise<number | false>;
		isWithinLimitSync(text: TokenText, limit: number, encoding?: TokenizerEncoding,
			opts?: TokenizeOptions): number | false;
		/** Ids as a Uint32Array viewing the engine's result block (zero copy). */
		encode(text: TokenText, encoding?: TokenizerEncoding,
			opts?: TokenizeOptions & AsyncOptions): Promise<Uint32Array>;
		encodeSync(text: TokenText, encoding?: TokenizerEncoding,
			opts?: TokenizeOptions): Uint32Array;
		/** UTF-8 decoded; bytes that are no valid UTF-8 become U+FFFD. */
		decode(ids: Uint32Array | readonly number[], encoding?: TokenizerEncoding,
			opts?: DecodeOptions & AsyncOptions): Promise<string>;
		decodeSync(ids: Uint32Array | readonly number[], encoding?: TokenizerEncoding,
			opts?: DecodeOptions): string;
	}
}
