#!/usr/bin/env bash
# Installs the Debian packages lbchaos needs to build, test and run. Does nothing when they are
# all there already (prometheus and prometheus-alertmanager run the `alert` probe's
# prometheus engine; chromium loads the HTML report headless in its browser test; tmux is the
# real terminal of the game-day test). Needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache
  haproxy
  libboost-dev libboost-filesystem-dev
  libtomlplusplus-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev
  libcli11-dev nlohmann-json3-dev libssl-dev
  curl python3 socat
  redis-server
  prometheus prometheus-alertmanager
  chromium tmux
)
# The benchmark compares against these; they are small and from the same archive.
if [[ "${LBCHAOS_BENCH:-0}" == 1 ]]; then packages+=(wrk nginx-light); fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
