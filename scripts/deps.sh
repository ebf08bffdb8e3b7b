#!/usr/bin/env bash
# Installs the Debian 12 packages valence needs, only those that are missing.
# Idempotent and quiet when everything is present. Needs root (or sudo) only
# when something must be installed.
#   scripts/deps.sh [build|test|fuzz|web]...   (default: build test)
set -euo pipefail

groups=("$@")
[ ${#groups[@]} -eq 0 ] && groups=(build test)

pkgs=()
for g in "${groups[@]}"; do
  case "$g" in
    build) pkgs+=(g++ cmake ninja-build pkg-config nlohmann-json3-dev) ;;
    test) pkgs+=(libgtest-dev libgmock-dev libbenchmark-dev nodejs) ;;
    fuzz) pkgs+=(clang libclang-rt-14-dev) ;;
    web) pkgs+=(libwebkit2gtk-4.1-dev xvfb xauth xdotool imagemagick) ;;
    *) echo "deps.sh: unknown group '$g'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "valence: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps.sh: run as root to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
