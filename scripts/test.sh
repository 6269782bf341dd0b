#!/usr/bin/env bash
# The README's second command (and what CI runs): install what is missing, build with warnings
# as errors, run every test (unit and integration: real haproxy, real backends, loopback only).
# Usage: scripts/test.sh [ctest args...], e.g. scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
preset=ci
if [[ "${LBCHAOS_SANITIZE:-0}" == 1 ]]; then preset=asan; fi
scripts/build.sh "$preset"
# Tests start real processes; keep their run directories apart from the user's.
export LBCHAOS_TMPDIR="${LBCHAOS_TMPDIR:-$(mktemp -d /tmp/lbct.XXXXXX)}"
trap 'rm -rf "$LBCHAOS_TMPDIR"' EXIT
# The validate corpus's long checks (label validate-corpus, ~40 min) run only when asked for.
exclude=(-LE validate-corpus)
if [[ "$*" == *validate-corpus* ]]; then exclude=(); fi
# Integration tests spend most of their time waiting on traffic and haproxy's checks: two at a
# time per core pair halves the run (the whole suite passes at -j2 on a loaded 2-core machine).
ctest --preset "$preset" --timeout 180 -j "$(nproc)" "${exclude[@]}" "$@"
