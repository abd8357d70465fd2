#!/usr/bin/env bash
# Installs every Debian package Atoll needs to build, run and test.
# The one list of dependencies: add a package here the moment code uses it.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config
  clang-14 libclang-rt-14-dev clang-format-14
  # libraries
  libboost1.81-dev libfmt-dev libyaml-cpp-dev liburing-dev libisal-dev
  zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev
  # unit tests and microbenchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # integration tests: real Kafka clients
  kcat python3-pytest python3-confluent-kafka python3-kafka
  python3-snappy python3-lz4 python3-zstandard
  # protocol tests: librdkafka's mock cluster, traffic capture
  librdkafka-dev tshark
  # system benchmarks (bench/system): disk and loopback limits, plots
  fio iperf3 gnuplot-nox
)
# Node.js runs the npm clients (kafkajs, and @platformatic/kafka, which wants
# node >= 20.19.4); the machine's own node is used when present, Debian's
# otherwise.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Test clients from npm, exactly as the lock file pins them.
here="$(cd "$(dirname "$0")/.." && pwd)"
stamp="$here/tests/node/node_modules/.installed-lock.json"
if ! cmp -s "$here/tests/node/package-lock.json" "$stamp" 2>/dev/null; then
  (cd "$here/tests/node" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$here/tests/node/package-lock.json" "$stamp"
fi
