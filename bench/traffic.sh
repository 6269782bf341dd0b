#!/usr/bin/env bash
# Issue 3's figures, measured side by side in one invocation on this machine (ratios, not
# absolute numbers, are what carry over between machines):
#   1. closed-loop maximum of lbchaos's generator vs wrk, through the same haproxy;
#   2. open-loop accuracy at 2,000 and 5,000 req/s (achieved rate, send-lag p99 and p50);
#   3. the built-in backend vs nginx (1 worker, a comparable tiny response), each served
#      straight to wrk, in PAIRS back-to-back pairs of alternating order (median ratio);
#   4. peak RSS of `lbchaos run` at 5,000 req/s for 60 s;
#   5. scenario overhead: wall time minus the scenario's own duration.
# Usage: bench/traffic.sh [seconds per load test, default 10] [pairs, default 3]
# LBCHAOS_BENCH_BIN=path/to/lbchaos measures that binary instead of building the release preset.
# Everything it starts is stopped and its scratch directory (nginx's temp and pid files
# included) removed on exit, whether it succeeds, fails or is interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
pairs="${2:-3}"
LBCHAOS_BENCH=1 scripts/setup.sh >/dev/null
if [[ -n "${LBCHAOS_BENCH_BIN:-}" ]]; then
  lbchaos="$(realpath "$LBCHAOS_BENCH_BIN")"
else
  scripts/build.sh release >/dev/null
  lbchaos="$PWD/build/release/lbchaos"
fi
work="$(mktemp -d /tmp/lbcb.XXXXXX)"
export LBCHAOS_TMPDIR="$work"
pids=()
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die() { echo "bench/traffic.sh: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Waits until `pid` answers on `port` with a response containing `expect` (so a stranger that
# took the port is not measured); fails as soon as `pid` has exited.
wait_ready() {
  local pid="$1" port="$2" expect="$3"
  for _ in $(seq 1000); do
    kill -0 "$pid" 2>/dev/null || return 1
    curl -sS -i --max-time 1 "http://127.0.0.1:$port/" 2>/dev/null | grep -qi -- "$expect" && return 0
    sleep 0.01
  done
  return 1
}
# Requests/s of one wrk run; fails loudly (with wrk's output) instead of yielding nothing.
wrk_rps() {
  local out rps
  out=$(wrk -t1 -c64 -d"${secs}s" "$1" 2>&1) || die "wrk $1 failed: $out"
  rps=$(awk '/Requests\/sec/ {print $2}' <<< "$out")
  [[ "$rps" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "wrk $1 printed no rate: $out"
  if grep -q "Non-2xx\|Socket errors" <<< "$out"; then echo "warning: wrk $1: $out" >&2; fi
  echo "$rps"
}
stop() { kill -INT "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

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
[[ -f "$work/ready.json" ]] || die "lbchaos up did not become ready: $(cat "$work/up.log")"
url=$(json 'd["instances"][0]["frontends"]["www"]' < "$work/ready.json")

echo "## Traffic generator and built-in backend ($(nproc) cores, ${secs}s per load test)"
echo
echo "| measurement | lbchaos | reference | ratio | goal |"
echo "|---|---|---|---|---|"
# The open-loop runs come first, on an idle haproxy: right after the closed-loop runs saturate
# it, the first seconds of a paced run measured its recovery (a send-lag p99 of ~2 ms at
# 2,000 req/s that a run on a rested topology does not show).
for rate in 2000 5000; do
  open=$("$lbchaos" load "$url/" --rate "$rate" --duration "${secs}s")
  echo "| open loop at $rate req/s: achieved rate | $(json '"%.1f" % d["achieved_rate"]' <<< "$open") | target $rate | $(ratio "$(json 'd["achieved_rate"]' <<< "$open")" "$rate") | within 1% |"
  echo "| open loop at $rate req/s: send-lag p99 (p50) | $(json '"%.3f ms (%.3f ms)" % (d["send_lag_ms"]["p99"], d["send_lag_ms"]["p50"])' <<< "$open") | | | < 1 ms |"
done

wrk_haproxy=$(wrk_rps "$url/")
gen=$("$lbchaos" load "$url/" --closed-loop --concurrency 64 --duration "${secs}s")
gen_rps=$(json 'd["completed_rate"]' <<< "$gen")
echo "| closed-loop req/s through haproxy (64 connections), every request recorded | $(printf %.0f "$gen_rps") | wrk $(printf %.0f "$wrk_haproxy") | $(ratio "$gen_rps" "$wrk_haproxy") | >= 0.90 |"

# The built-in backend and nginx, each alone, each straight to wrk. nginx gets a private
# prefix: its pid file, error log and every temp path live in $work (Debian's defaults under
# /var/lib/nginx and /run are never touched), and it stays in the foreground as our child.
start_backend() {
  local port
  port=$(free_port)
  "$lbchaos" backend --name bench/solo --listen "127.0.0.1:$port" --control "$work/solo.ctl" \
    --latency 0us --max-inflight 4096 >"$work/backend.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  wait_ready "$pid" "$port" "X-Lbchaos-Server: bench/solo" || { stop "$pid"; return 1; }
  backend_port=$port
}
start_nginx() {
  local port dir="$work/nginx"
  port=$(free_port)
  rm -rf "$dir" && mkdir -p "$dir"
  cat > "$dir/nginx.conf" <<NGINX
worker_processes 1;
error_log $dir/error.log;
pid $dir/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  default_type text/plain;
  server { listen 127.0.0.1:$port; location / { return 200 "bench/solo\n"; } }
}
NGINX
  nginx -c "$dir/nginx.conf" -p "$dir" -e "$dir/error.log" -g 'daemon off;' 2>>"$dir/error.log" &
  local pid=$!
  pids+=("$pid")
  wait_ready "$pid" "$port" "Server: nginx" || { stop "$pid"; return 1; }
  nginx_port=$port
}
# A port handed out by free_port can be taken by someone else before the server binds it.
backend_port="" nginx_port=""
for _ in 1 2 3; do start_backend && break; done
[[ -n "$backend_port" ]] || die "the built-in backend did not start: $(cat "$work/backend.log")"
for _ in 1 2 3; do start_nginx && break; done
[[ -n "$nginx_port" ]] || die "nginx did not start: $(cat "$work/nginx/error.log" 2>/dev/null)"
backend_rates=() nginx_rates=() ratios=()
for pair in $(seq "$pairs"); do
  if (( pair % 2 )); then
    b=$(wrk_rps "http://127.0.0.1:$backend_port/"); n=$(wrk_rps "http://127.0.0.1:$nginx_port/")
  else
    n=$(wrk_rps "http://127.0.0.1:$nginx_port/"); b=$(wrk_rps "http://127.0.0.1:$backend_port/")
  fi
  backend_rates+=("$(printf %.0f "$b")") nginx_rates+=("$(printf %.0f "$n")") ratios+=("$(ratio "$b" "$n")")
done
echo "| built-in backend req/s (wrk -t1 -c64, $pairs alternating pairs: $(IFS=/; echo "${backend_rates[*]}") vs nginx $(IFS=/; echo "${nginx_rates[*]}"), ratios $(IFS=/; echo "${ratios[*]}")) | $(median "${backend_rates[@]}") | nginx $(median "${nginx_rates[@]}") (1 worker) | $(median "${ratios[@]}") (median) | >= 0.80 |"

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
# lbchaos's own high-water mark (VmHWM only grows, so the last reading before exit is the peak);
# wait4's ru_maxrss is the largest of lbchaos and every child it reaped (haproxy, backends).
own_kb = 0
while True:
    pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
    if pid == proc.pid:
        break
    try:
        with open(f"/proc/{proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    own_kb = max(own_kb, int(line.split()[1]))
    except OSError:
        pass
    time.sleep(0.05)  # bounds the error this adds to the overhead figure
wall = time.monotonic() - start
journal = json.load(open(f"{work}/rss.json"))
s = journal["scenarios"][0]
rss_mb = own_kb / 1024
tree_mb = usage.ru_maxrss / 1024
overhead = wall - 60
print(f"| peak RSS of `lbchaos run` itself (VmHWM), 5,000 req/s for 60 s ({s['requests']} requests recorded); largest of it and its children: {tree_mb:.1f} MB | {rss_mb:.1f} MB | | | < 100 MB |")
print(f"| scenario overhead (wall {wall:.2f} s - 60 s of traffic; start-up, teardown, probes) | {overhead:.2f} s | | | < 1.5 s |")
PY
