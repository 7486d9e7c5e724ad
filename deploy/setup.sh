#!/usr/bin/env bash
# Installs what Trellis needs on a fresh Debian machine with Swift 6.3: the six C libraries
# (ZeroMQ, OpenBLAS, LZ4, libdeflate, METIS, zlib), rsvg-convert for the report's PNG images, headless Chromium for
# the report's screenshot test, NumPy for the export tests, and the MovieLens-100K data.
# Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs="libzmq3-dev libopenblas-dev liblz4-dev libdeflate-dev libmetis-dev zlib1g-dev pkg-config librsvg2-bin chromium"
if ! dpkg -s $pkgs >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $pkgs >/dev/null
fi
# NumPy: ServingCommandTests load `trellis export` files with it. pip first (as fetch-ml100k.sh
# uses pip), Debian's package where pip may not install system-wide (PEP 668).
if ! python3 -c 'import numpy' >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check numpy 2>/dev/null || {
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-numpy >/dev/null
  }
fi
bash deploy/fetch-ml100k.sh data
