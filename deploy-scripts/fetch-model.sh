#!/usr/bin/env bash
# Puts a model beside its manifest in models/: from ../shared/models when present, else from its upstream URL.
# The SHA-256 must match the manifest either way. Idempotent. Usage: fetch-model.sh [name] (default yolox_nano).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
name="${1:-yolox_nano}"
manifest="$root/models/$name.json"
[ -f "$manifest" ] || { echo "fetch-model: no manifest $manifest" >&2; exit 1; }

field() { sed -n "s/.*\"$1\": *\"\\([^\"]*\\)\".*/\\1/p" "$manifest" | head -n 1; }
file="$(field file)"; sha="$(field sha256)"; url="$(field upstreamUrl)"
target="$root/models/$file"
shared="${WORKERPOOL_SHARED:-$root/../shared}/models/$file"

matches() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$sha" ]; }

if matches "$target"; then echo "fetch-model: $file present and verified"; exit 0; fi
tmp="$target.part"
if [ -f "$shared" ]; then
  cp "$shared" "$tmp"
  from="$shared"
else
  command -v curl >/dev/null || { echo "fetch-model: curl is needed to download $url" >&2; exit 1; }
  curl -fsSL --retry 3 -o "$tmp" "$url" || { rm -f "$tmp"; echo "fetch-model: download of $url failed" >&2; exit 1; }
  from="$url"
fi
if ! matches "$tmp"; then
  got="$(sha256sum "$tmp" | cut -d' ' -f1)"; rm -f "$tmp"
  echo "fetch-model: $from has sha256 $got but models/$name.json expects $sha; refusing it" >&2
  exit 1
fi
mv "$tmp" "$target"
echo "fetch-model: $file from $from, sha256 verified"
