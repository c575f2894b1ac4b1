#!/usr/bin/env bash
# Extracts only vtest.avi (PETS 2009 S2.L1 view 1, 795 frames) from Debian's opencv-doc package into samples/.
# Idempotent; checks the SHA-256 recorded in ../shared/datasets/pets09-s2l1/README.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/samples"
sha=45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf
mkdir -p "$out"
if [ -f "$out/vtest.avi" ] && [ "$(sha256sum "$out/vtest.avi" | cut -d' ' -f1)" = "$sha" ]; then
  echo "fetch-sample: samples/vtest.avi present and verified"; exit 0
fi
installed=/usr/share/doc/opencv-doc/examples/data/vtest.avi
if [ -f "$installed" ]; then
  cp "$installed" "$out/vtest.avi"
else
  work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
  (cd "$work" && apt-get download opencv-doc >/dev/null 2>&1) || {
    [ "$(id -u)" = 0 ] && apt-get update -qq >/dev/null && (cd "$work" && apt-get download opencv-doc >/dev/null)
  } || { echo "fetch-sample: apt-get download opencv-doc failed" >&2; exit 1; }
  dpkg -x "$work"/opencv-doc_*.deb "$work/x"
  found="$(find "$work/x" -name vtest.avi | head -n 1)"
  [ -n "$found" ] || { echo "fetch-sample: vtest.avi not in opencv-doc" >&2; exit 1; }
  cp "$found" "$out/vtest.avi"
fi
got="$(sha256sum "$out/vtest.avi" | cut -d' ' -f1)"
[ "$got" = "$sha" ] || { echo "fetch-sample: vtest.avi has sha256 $got, expected $sha" >&2; rm -f "$out/vtest.avi"; exit 1; }
echo "fetch-sample: samples/vtest.avi ready"
