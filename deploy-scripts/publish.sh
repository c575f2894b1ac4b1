#!/usr/bin/env bash
# Builds a trimmed, self-contained release for one device into artifacts/RID/ and prints what its size is made of.
# Usage: deploy-scripts/publish.sh linux-x64|linux-arm64
# The release holds the binary and its native libraries, the default model, the systemd unit, the default device
# config, the install/update/uninstall scripts and deploy/README.txt (the operator card): copy the directory to a
# device and run deploy/install.sh there.
# READY_TO_RUN=1 precompiles the trimmed assemblies: start-up about halves, the managed part grows by ~15 MiB
# (docs/BENCHMARKS.md). Off by default, so updates stay small.
# linux-arm64: no NuGet package carries OpenCvSharp's native extern for ARM64. Set OPENCVSHARP_EXTERN to one built
# against the board's OpenCV (deploy-scripts/jetson/build-opencvsharp-extern.sh) to bundle it; without it the device
# supplies its own (WORKERPOOL_OPENCVSHARP_EXTERN, docs/JETSON.md).
# Beside the release tree it writes, in artifacts/RID/: workerpool-VERSION-RID.tar.gz (the tree, at the archive's
# top level) and release.json (version, rid, archive, sha256, size: docs/FLEET.md "Signed releases"). With
# RELEASE_SIGNING_KEY=FILE (an ECDSA P-256 private key, PEM) it signs release.json into release.json.sig (base64 of
# a DER ECDSA/SHA-256 signature over its exact bytes); `update.sh --manifest` on a device takes only signed ones.
set -euo pipefail
rid="${1:-}"
case "$rid" in
  linux-x64|linux-arm64) ;;
  *) echo "usage: publish.sh linux-x64|linux-arm64" >&2; exit 2 ;;
esac
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/artifacts/$rid"
log="$root/artifacts/publish-$rid.log"

"$root/deploy-scripts/fetch-model.sh" yolox_nano >&2

# The release is named by product version and commit: 0.1.0+1a2b3c4d5e6f (".dirty" when the tree has changes).
base="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$root/Directory.Build.props" | head -n 1)"
rev="$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
if [ "$rev" != unknown ] && [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]; then rev="$rev.dirty"; fi
version="$base+$rev"

rm -rf "$out"
mkdir -p "$out"
echo "publish: $rid $version (trimmed, self-contained)" >&2
# Trim warnings fail the build (TreatWarningsAsErrors); the log keeps the full output for a look at why.
if ! dotnet publish "$root/src/WorkerPool.Host/WorkerPool.Host.csproj" -c Release -r "$rid" -o "$out" \
    -p:SourceRevisionId="$rev" -p:PublishReadyToRun="$([ "${READY_TO_RUN:-0}" = 1 ] && echo true || echo false)" \
    -nologo >"$log" 2>&1; then
  grep -E "error|warning" "$log" | sort -u >&2 || true
  echo "publish: dotnet publish failed (full log: $log)" >&2
  exit 1
fi
warnings="$(grep -cE "warning (IL|CS|CA)" "$log" || true)"
if [ "$warnings" != 0 ]; then
  grep -E "warning (IL|CS|CA)" "$log" | sort -u >&2
  echo "publish: $warnings warning(s); a release is built without any" >&2
  exit 1
fi

if [ "$rid" = linux-arm64 ]; then
  if [ -n "${OPENCVSHARP_EXTERN:-}" ]; then
    [ -f "$OPENCVSHARP_EXTERN" ] || { echo "publish: OPENCVSHARP_EXTERN=$OPENCVSHARP_EXTERN does not exist" >&2; exit 1; }
    cp "$OPENCVSHARP_EXTERN" "$out/libOpenCvSharpExtern.so"
  else
    echo "publish: no libOpenCvSharpExtern.so bundled for linux-arm64 (set OPENCVSHARP_EXTERN, or let the device supply it: docs/JETSON.md)" >&2
  fi
fi

mkdir -p "$out/models" "$out/deploy/systemd"
cp "$root/models/yolox_nano.json" "$root/models/yolox_nano.onnx" "$out/models/"
cp "$root/deploy-scripts/install.sh" "$root/deploy-scripts/update.sh" "$root/deploy-scripts/uninstall.sh" \
   "$root/deploy-scripts/release-lib.sh" "$root/deploy-scripts/install-deps.sh" "$root/deploy-scripts/update-agent.sh" "$out/deploy/"
# The operator card the unit's Documentation= names (/opt/workerpool/current/deploy/README.txt once installed).
cp "$root/deploy-scripts/README.txt" "$out/deploy/README.txt"
cp "$root/deploy-scripts/systemd/workerpool.service" "$root/deploy-scripts/systemd/workerpool.env" \
   "$root/deploy-scripts/systemd/workerpool-update.service" "$root/deploy-scripts/systemd/workerpool-update.path" "$out/deploy/systemd/"
cp -r "$root/deploy-scripts/jetson" "$out/deploy/"
cp "$root/device-config/appliance.json" "$out/deploy/config.json"
echo "$version" >"$out/VERSION"
# The runtime it was built for: update.sh --manifest refuses a release for another one.
echo "$rid" >"$out/RID"

# What the size is made of: our code, the rest of the managed code, the .NET runtime, ONNX Runtime, OpenCV, the model.
bytes() { find "$out" -maxdepth 1 -type f \( "$@" \) -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }
ours=$(bytes -name 'workerpool.dll' -o -name 'WorkerPool.Core.dll')
pdb=$(bytes -name '*.pdb')
managed=$(bytes -name '*.dll')
ort=$(bytes -name 'libonnxruntime*.so*')
opencv=$(bytes -name 'libOpenCvSharpExtern.so')
native=$(bytes -name '*.so' -o -name 'workerpool' -o -name 'createdump')
model=$(find "$out/models" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
total=$(du -sb "$out" | cut -f1)
row() { awk -v l="$1" -v b="$2" 'BEGIN { printf "  %-44s %8.2f MiB\n", l, b / 1048576 }'; }
echo "artifacts/$rid ($version)"
row "our code (workerpool, WorkerPool.Core)" "$ours"
row "debug symbols (pdb)" "$pdb"
row "other managed code (trimmed .NET, packages)" $((managed - ours))
row ".NET runtime (native) and apphost" $((native - ort - opencv))
row "ONNX Runtime (libonnxruntime.so)" "$ort"
row "OpenCV (libOpenCvSharpExtern.so)" "$opencv"
row "model (yolox_nano.onnx and manifest)" "$model"
row "total" "$total"

# The archive a device downloads, and its manifest. The archive is made outside the tree, so it does not hold itself.
archive="workerpool-$version-$rid.tar.gz"
tmp="$root/artifacts/.$archive.tmp"
tar -czf "$tmp" -C "$out" --owner=0 --group=0 --numeric-owner .
mv "$tmp" "$out/$archive"
sha="$(sha256sum "$out/$archive" | cut -d' ' -f1)"
size="$(stat -c %s "$out/$archive")"
printf '{\n  "version": "%s",\n  "rid": "%s",\n  "archive": "%s",\n  "sha256": "%s",\n  "size": %s\n}\n' \
  "$version" "$rid" "$archive" "$sha" "$size" >"$out/release.json"
rm -f "$out/release.json.sig"
if [ -n "${RELEASE_SIGNING_KEY:-}" ]; then
  [ -f "$RELEASE_SIGNING_KEY" ] || { echo "publish: RELEASE_SIGNING_KEY=$RELEASE_SIGNING_KEY does not exist" >&2; exit 1; }
  openssl dgst -sha256 -sign "$RELEASE_SIGNING_KEY" "$out/release.json" | base64 -w 0 >"$out/release.json.sig.tmp"
  echo >>"$out/release.json.sig.tmp"
  mv "$out/release.json.sig.tmp" "$out/release.json.sig"
  echo "publish: signed artifacts/$rid/release.json (release.json.sig)" >&2
else
  echo "publish: the release is UNSIGNED: no RELEASE_SIGNING_KEY, so no release.json.sig (devices refuse it through update.sh --manifest)" >&2
fi
row "archive ($archive)" "$size"
