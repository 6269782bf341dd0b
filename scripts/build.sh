#!/usr/bin/env bash
# Configures and builds with a CMake preset (default: release).
# Usage: scripts/build.sh [preset [target...]]  (no target: everything, tests included)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
shift || true
targets=()
for target in "$@"; do targets+=(--target "$target"); done
# With ccache installed, paths relative to the checkout let every clone share one cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)" "${targets[@]}"
