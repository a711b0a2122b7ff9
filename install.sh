#!/usr/bin/env bash
# Installs everything evoshift_tf needs on a fresh Debian/Ubuntu machine with Python 3.11:
# the Fashion-MNIST files (Debian package) and the pinned Python packages. Used by the README,
# CI (.ci/run) and the Dockerfile alike.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq dataset-fashion-mnist
fi
python3 -m pip install -q -r requirements.txt
python3 -m pip install -q --no-deps -e .
