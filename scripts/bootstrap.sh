#!/usr/bin/env bash
# Installs what is missing on a Debian 12 machine, then configures and builds
# agent-accel into build/. Safe to run again: it only installs what is not
# there and rebuilds incrementally. Used by scripts/demo.sh and
# scripts/test.sh; run it alone to just build.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the build, the C libraries (found with pkg-config), and
# the tools the tests and benchmarks call.
DEB_PACKAGES=(
	build-essential cmake ninja-build pkg-config git
	liburing-dev libzstd-dev libxxhash-dev libseccomp-dev libjemalloc-dev
	libcriterion-dev libutf8proc-dev libgit2-dev
	clang libclang-rt-14-dev spin universal-ctags bubblewrap patch diffutils
	python3 curl ca-certificates
)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
if ! command -v node >/dev/null 2>&1; then
	missing+=(nodejs npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
	echo "bootstrap: installing ${missing[*]}"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
	echo "bootstrap: Node.js >= 20 is needed (found $(node --version))" >&2
	exit 1
fi

# npm packages: the real corpora and the peer libraries (dev-dependencies).
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	npm ci --no-audit --no-fund --loglevel=error
fi

BUILD_DIR=${ACCEL_BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	${ACCEL_CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
