#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run the bundled quickstart
# scenario: haproxy in front of three built-in backends, 200 req/s, web1 killed at 5 s and
# restarted 4 s later; prints each probe's measurement against its SLO.
#   scripts/quickstart.sh        run the scenario (exit 0 when every probe passes)
#   scripts/quickstart.sh up     instead, bring the quickstart topology up and serve until Ctrl-C
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release lbchaos  # the tool only; scripts/test.sh builds the tests too
if [[ "${1:-}" == up ]]; then
  shift
  exec build/release/lbchaos up topologies/quickstart.toml "$@"
fi
exec build/release/lbchaos run topologies/quickstart-kill.toml "$@"
