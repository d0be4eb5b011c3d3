#!/usr/bin/env bash
# Install what h627 needs on a fresh Debian machine (idempotent, quick when all is present):
# Bun 1.4 (from npm), libsrt (Vm), FFmpeg (simulator, tests), Chromium (browser tests), Ceph's RADOS
# Gateway (the throw-away S3 store of scripts/s3-server.ts, for tests of CS_BACKEND=s3), darknet's photos (detection
# tests), and the project's locked npm dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

# darknet: only for its sample photos (person.jpg, dog.jpg…), which the detection tests run on
DEBIAN_PACKAGES=(libsrt1.5-openssl libsrt-openssl-dev srt-tools ffmpeg chromium openssl radosgw ceph-mon ceph-osd ceph-common darknet)
BUN_VERSION=1.4

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi

if ! command -v bun >/dev/null || [[ "$(bun --version)" != ${BUN_VERSION}.* ]]; then
  echo "setup: installing bun@${BUN_VERSION} from npm" >&2
  $SUDO npm i -g "bun@${BUN_VERSION}" >&2
fi

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

bun install --frozen-lockfile >&2
