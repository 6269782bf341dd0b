#!/usr/bin/env bash
# The README's first command: install what is missing, build, and bring up the bundled
# quickstart topology (haproxy in front of three built-in backends) until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
exec build/release/lbchaos up topologies/quickstart.toml "$@"
