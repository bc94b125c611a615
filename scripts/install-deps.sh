#!/usr/bin/env bash
# Installs everything libe2b and e2b-local need to build, run and test on a fresh Debian 12 machine.
# Idempotent: skips apt when every package is already present. Runs as root (CI does).
set -euo pipefail

APT_PKGS=(
  build-essential cmake ninja-build pkg-config git
  libboost-dev libboost-coroutine-dev  # Boost.Beast/Asio (+ stackful coroutines for the proxy)
  libcjson-dev            # JSON everywhere
  libssl-dev              # SHA-256 for presigned /files URLs, TLS for libcurl
  zlib1g-dev              # gzip on /files
  libseccomp-dev          # sandbox syscall deny-list
  libcap-dev              # capability handling in the agent
  bubblewrap              # namespaces for each sandbox
  slirp4netns             # user-mode networking for sandboxes with internet access
  iptables                # host guard: slirp4netns may not reach the host's own addresses
  util-linux procps iproute2 psmisc socat
  libcurl4-openssl-dev libwebsockets-dev libcmocka-dev libarchive-dev
  libuv1-dev libwebsockets-evlib-uv  # WebSockets run on a libuv loop (lws loads it as a plugin)
  python3 python3-venv python3-pip
  python3-matplotlib      # the base template's Python gets plotting (code interpreter PNG results)
  nodejs npm
)

missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# node/npm may come from elsewhere on a developer machine; do not fight it.
if command -v node >/dev/null && command -v npm >/dev/null; then
  tmp=(); for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || tmp+=("$p"); done
  missing=("${tmp[@]+"${tmp[@]}"}")
fi
if ((${#missing[@]})); then
  echo "install-deps: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
