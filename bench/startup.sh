#!/usr/bin/env bash
# Start-up figures for `lbchaos up` (issue 2): time until every node listens and until haproxy
# reports every server UP, for the quickstart and for 50- and 200-server topologies (inter
# 100ms), plus the RSS of one built-in backend (lbchaos-backend) after serving traffic. Medians
# over RUNS runs.
# Usage: bench/startup.sh [runs]   (builds the release preset first;
#        LBCHAOS_BENCH_BIN=<path to lbchaos> measures that build instead)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
if [[ -n "${LBCHAOS_BENCH_BIN:-}" ]]; then
  lbchaos="$(realpath "$LBCHAOS_BENCH_BIN")"
else
  scripts/build.sh release >/dev/null
  lbchaos="$PWD/build/release/lbchaos"
fi
work="$(mktemp -d /tmp/lbchaos-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
export LBCHAOS_TMPDIR="$work"

# N-server topologies with fast checks, generated so the files stay readable.
generate() {
  local servers="$1"
  echo "name = \"servers-$servers\""
  echo '[[backend]]'
  echo 'name = "app"'
  echo 'check = { inter = "100ms", fall = 2, rise = 2 }'
  for i in $(seq 1 "$servers"); do printf '[[backend.server]]\nname = "web%d"\n' "$i"; done
  echo '[[frontend]]'
  echo 'name = "www"'
  echo 'backend = "app"'
}
generate 50 > "$work/fifty.toml"
generate 200 > "$work/two-hundred.toml"

# Runs `up` once, waits for the ready file, prints "listening_ms all_up_ms rss_kb", tears down.
measure() {
  local topology="$1" ready="$work/ready.json"
  rm -f "$ready"
  "$lbchaos" up "$topology" --ready-file "$ready" >/dev/null 2>"$work/up.log" &
  local pid=$!
  for _ in $(seq 1 1500); do [[ -f "$ready" ]] && break; sleep 0.01; done
  [[ -f "$ready" ]] || { cat "$work/up.log" >&2; kill -INT "$pid"; wait "$pid" || true; return 1; }
  python3 - "$ready" <<'PY'
import json, sys, urllib.error, urllib.request
ready = json.load(open(sys.argv[1]))
url = ready["instances"][0]["frontends"]["www"]
for _ in range(500):  # warms the backend up for its RSS; a 503 (a check flapping on a loaded machine) is fine
    try:
        urllib.request.urlopen(url + "/").read()
    except urllib.error.HTTPError:
        pass
node = ready["nodes"][0]["pid"]
rss = next(l.split()[1] for l in open(f"/proc/{node}/status") if l.startswith("VmRSS:"))
s = ready["startup_ms"]
print(f'{s["nodes_listening"]:.1f} {s["all_servers_up"]:.1f} {rss}')
PY
  kill -INT "$pid"
  wait "$pid"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

report() {
  local label="$1" topology="$2" results="$work/$1.txt"
  : > "$results"
  for _ in $(seq 1 "$runs"); do measure "$topology" >> "$results"; done
  printf '| %s | %s ms | %s ms | %s KiB |\n' "$label" \
    "$(cut -d' ' -f1 "$results" | median)" "$(cut -d' ' -f2 "$results" | median)" \
    "$(cut -d' ' -f3 "$results" | median)"
}

echo "lbchaos up start-up, median of $runs runs ($(nproc) cores, $(haproxy -v | head -1 | cut -d' ' -f1-3))"
echo
echo "| topology | all nodes listening | all servers UP in haproxy | built-in backend RSS |"
echo "|---|---|---|---|"
report quickstart topologies/quickstart.toml
report "50 servers, inter 100ms" "$work/fifty.toml"
report "200 servers, inter 100ms" "$work/two-hundred.toml"
