#!/usr/bin/env bash
# Installs what is missing, builds, and runs the demo: every op through the
# Node bridge on real inputs, with results and latencies.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
exec node scripts/demo.mjs
