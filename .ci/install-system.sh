#!/usr/bin/env bash
# System packages the recipe and tests need (Debian 12). Idempotent: skips when all are present.
set -euo pipefail
pkgs=(python3-torch python3-onnx python3-numpy espeak-ng flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts opus-tools sox libopenblas0-openmp wamerican fortunes chromium openssl redis-server nginx)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
