#!/usr/bin/env bash
# Issue 3's figures, measured side by side in one invocation on this machine (ratios, not
# absolute numbers, are what carry over between machines):
#   1. closed-loop maximum of lbchaos's generator vs wrk, through the same haproxy;
#   2. open-loop accuracy at 2,000 and 5,000 req/s (achieved rate, send-lag p99);
#   3. the built-in backend vs nginx, each served straight to wrk;
#   4. peak RSS of `lbchaos run` at 5,000 req/s for 60 s;
#   5. scenario overhead: wall time minus the scenario's own duration.
# Usage: bench/traffic.sh [seconds per load test, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
LBCHAOS_BENCH=1 scripts/setup.sh >/dev/null
scripts/build.sh release >/dev/null
lbchaos="$PWD/build/release/lbchaos"
work="$(mktemp -d /tmp/lbcb.XXXXXX)"
export LBCHAOS_TMPDIR="$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 500); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.01; done; return 1; }
wrk_rps() { wrk -t1 -c64 -d"${secs}s" "$1" | awk '/Requests\/sec/ {print $2}'; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }

# The topology every load test goes through: haproxy in front of two built-in backends.
cat > "$work/bench.toml" <<'TOML'
name = "bench"
[haproxy]
maxconn = 20000
[[backend]]
name = "app"
check = { inter = "1s" }
[[backend.server]]
name = "web1"
latency = "0ms"
max_inflight = 1024
[[backend.server]]
name = "web2"
latency = "0ms"
max_inflight = 1024
[[frontend]]
name = "www"
backend = "app"
TOML
"$lbchaos" up "$work/bench.toml" --ready-file "$work/ready.json" >/dev/null 2>"$work/up.log" &
pids+=($!)
for _ in $(seq 1000); do [[ -f "$work/ready.json" ]] && break; sleep 0.02; done
url=$(json 'd["instances"][0]["frontends"]["www"]' < "$work/ready.json")

echo "## Traffic generator and built-in backend ($(nproc) cores, ${secs}s per load test)"
echo
wrk_haproxy=$(wrk_rps "$url/")
gen=$("$lbchaos" load "$url/" --closed-loop --concurrency 64 --duration "${secs}s")
gen_rps=$(json 'd["completed_rate"]' <<< "$gen")
echo "| measurement | lbchaos | reference | ratio | goal |"
echo "|---|---|---|---|---|"
echo "| closed-loop req/s through haproxy (64 connections), every request recorded | $(printf %.0f "$gen_rps") | wrk $(printf %.0f "$wrk_haproxy") | $(ratio "$gen_rps" "$wrk_haproxy") | >= 0.90 |"

for rate in 2000 5000; do
  open=$("$lbchaos" load "$url/" --rate "$rate" --duration "${secs}s")
  echo "| open loop at $rate req/s: achieved rate | $(json '"%.1f" % d["achieved_rate"]' <<< "$open") | target $rate | $(ratio "$(json 'd["achieved_rate"]' <<< "$open")" "$rate") | within 1% |"
  echo "| open loop at $rate req/s: send-lag p99 | $(json '"%.3f ms" % d["send_lag_ms"]["p99"]' <<< "$open") | | | < 1 ms |"
done

# The built-in backend and nginx, each alone, each straight to wrk.
backend_port=$(free_port)
"$lbchaos" backend --name bench/solo --listen "127.0.0.1:$backend_port" --control "$work/solo.ctl" \
  --latency 0us --max-inflight 4096 >/dev/null 2>&1 &
pids+=($!)
nginx_port=$(free_port)
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<NGINX
worker_processes 1;
error_log $work/nginx/error.log;
pid $work/nginx/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  server { listen 127.0.0.1:$nginx_port; location / { return 200 "bench/solo\n"; } }
}
NGINX
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -g 'daemon off;' &
pids+=($!)
wait_port "$backend_port"
wait_port "$nginx_port"
wrk_backend=$(wrk_rps "http://127.0.0.1:$backend_port/")
wrk_nginx=$(wrk_rps "http://127.0.0.1:$nginx_port/")
echo "| built-in backend req/s (wrk, 64 connections) | $(printf %.0f "$wrk_backend") | nginx $(printf %.0f "$wrk_nginx") (1 worker) | $(ratio "$wrk_backend" "$wrk_nginx") | >= 0.80 |"

# A 60 s scenario at 5,000 req/s: peak RSS of the whole `lbchaos run` and its overhead.
cat > "$work/rss.toml" <<TOML
name = "rss"
topology = "bench.toml"
[traffic]
rate = 5000
duration = "60s"
warmup = "1s"
max_connections = 512
[[expect]]
probe = "availability"
at_least = "99%"
TOML
python3 - "$lbchaos" "$work" <<'PY'
import json, os, subprocess, sys, time
lbchaos, work = sys.argv[1], sys.argv[2]
start = time.monotonic()
proc = subprocess.Popen([lbchaos, "run", f"{work}/rss.toml", "--json", f"{work}/rss.json"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
wall = time.monotonic() - start
journal = json.load(open(f"{work}/rss.json"))
s = journal["scenarios"][0]
rss_mb = usage.ru_maxrss / 1024
overhead = wall - 60
print(f"| peak RSS of `lbchaos run`, 5,000 req/s for 60 s ({s['requests']} requests recorded) | {rss_mb:.1f} MB | | | < 100 MB |")
print(f"| scenario overhead (wall {wall:.2f} s - 60 s of traffic; start-up, teardown, probes) | {overhead:.2f} s | | | < 1.5 s |")
PY
