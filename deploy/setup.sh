#!/usr/bin/env bash
# Installs what Trellis needs on a fresh Debian machine with Swift 6.3: the three C libraries
# (ZeroMQ, OpenBLAS, LZ4) and the MovieLens-100K data. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs="libzmq3-dev libopenblas-dev liblz4-dev pkg-config"
if ! dpkg -s $pkgs >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $pkgs >/dev/null
fi
bash deploy/fetch-ml100k.sh data
