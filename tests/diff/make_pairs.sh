#!/bin/sh
# Builds the real inputs of the diff tests and bench:
#   OUTDIR/pairs.txt    "name<TAB>a<TAB>b" consecutive versions of one file
#   OUTDIR/triples.txt  "name<TAB>base<TAB>ours<TAB>theirs" 3-way cases
# Sources: the TypeScript compiler 5.4 -> 5.5 -> 5.6 from node_modules
# (lib/*.d.ts and the large lib/*.js bundles; 5.4 -> 5.5 is a re-indent of
# typescript.js) and consecutive versions of files in a real git history
# (this repository's own, or $ACCEL_DIFF_GIT_REPO).
#
# usage: make_pairs.sh SOURCE_DIR OUTDIR [MAX_GIT_PAIRS]
set -eu

src=$1
out=$2
max_git=${3:-80}
nm=$src/node_modules
repo=${ACCEL_DIFF_GIT_REPO:-$src}

mkdir -p "$out/git"
: >"$out/pairs.txt"
: >"$out/triples.txt"

tab=$(printf '\t')
v1=$nm/typescript-5.4/lib
v2=$nm/typescript-5.5/lib
v3=$nm/typescript/lib
if [ -d "$v1" ] && [ -d "$v2" ] && [ -d "$v3" ]; then
	for f in "$v1"/*.d.ts "$v1"/typescript.js "$v1"/tsc.js; do
		b=$(basename "$f")
		[ -f "$v2/$b" ] || continue
		if ! cmp -s "$f" "$v2/$b"; then
			echo "ts54-55/$b$tab$f$tab$v2/$b" >>"$out/pairs.txt"
		fi
		if [ -f "$v3/$b" ] && ! cmp -s "$v2/$b" "$v3/$b"; then
			echo "ts55-56/$b$tab$v2/$b$tab$v3/$b" >>"$out/pairs.txt"
			if ! cmp -s "$f" "$v2/$b"; then
				echo "ts/$b$tab$f$tab$v2/$b$tab$v3/$b" \
					>>"$out/triples.txt"
				echo "ts-rev/$b$tab$v2/$b$tab$f$tab$v3/$b" \
					>>"$out/triples.txt"
			fi
		fi
	done
else
	echo "make_pairs: $nm has no typescript-5.4/5.5/5.6 (npm ci)" >&2
fi

# Consecutive versions from git history: for recent commits, each text
# file changed by the commit gives the pair (parent version, version).
if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
	n=0
	for c in $(git -C "$repo" rev-list --no-merges -n 400 HEAD); do
		git -C "$repo" rev-parse -q --verify "$c^" >/dev/null || continue
		for p in $(git -C "$repo" diff --name-only --diff-filter=M \
			"$c^" "$c" -- '*.c' '*.h' '*.md' '*.sh' '*.txt' \
			'*.py' '*.js' '*.ts' '*.json'); do
			[ "$n" -lt "$max_git" ] || break 2
			key=$(echo "$c-$p" | tr '/' '_')
			git -C "$repo" show "$c^:$p" >"$out/git/$key.a" || continue
			git -C "$repo" show "$c:$p" >"$out/git/$key.b" || continue
			echo "git/$key$tab$out/git/$key.a$tab$out/git/$key.b" \
				>>"$out/pairs.txt"
			# Three versions of one path make a 3-way case.
			if git -C "$repo" cat-file -e "$c~2:$p" 2>/dev/null; then
				git -C "$repo" show "$c~2:$p" >"$out/git/$key.base"
				echo "git/$key$tab$out/git/$key.base$tab$out/git/$key.a$tab$out/git/$key.b" \
					>>"$out/triples.txt"
			fi
			n=$((n + 1))
		done
	done
fi
echo "make_pairs: $(wc -l <"$out/pairs.txt") pairs," \
	"$(wc -l <"$out/triples.txt") triples in $out"
