#!/usr/bin/env bash
# Installs the Debian packages WorkerPool needs, only those missing. Idempotent.
# Usage: install-deps.sh [runtime|demo|test]
#   runtime: what a device running a release needs (install.sh runs it); demo adds Mosquitto and its clients and
#   needs the .NET SDK; test adds the RTSP server and the deploy-test tools too.
set -euo pipefail
profile="${1:-runtime}"
# ffmpeg: network and USB cameras are read through it. On x64, the bundled OpenCvSharp extern links GTK 3 and
# libatomic (a minimal Debian lacks both); on other architectures the board's own extern brings its own needs.
# curl, openssl and ca-certificates: the root update helper downloads releases (resuming) and verifies their
# signatures (update-agent.sh, update.sh --manifest); a minimal Debian has none of them.
packages=(ffmpeg curl openssl ca-certificates)
if [ "$(dpkg --print-architecture)" = amd64 ]; then packages+=(libgtk-3-0 libatomic1); fi
if [ "$profile" = demo ] || [ "$profile" = test ]; then
  # A local broker for the demo and the MQTT tests (started by them on loopback, never as a system service), and the
  # fleet side's database (the demo starts its own cluster).
  packages+=(mosquitto mosquitto-clients openssl postgresql)
  # The fleet dashboard's front end is bundled from npm at build time.
  command -v npm >/dev/null || packages+=(nodejs npm)
fi
if [ "$profile" = test ]; then
  # A real RTSP server on loopback for the camera tests (GStreamer's RTSP server driven from Python).
  packages+=(python3 python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good
             gstreamer1.0-plugins-ugly gstreamer1.0-libav)
  # The fleet tests: a throwaway PostgreSQL cluster (initdb on a free loopback port; the system service is not used),
  # Chromium for the dashboard page and Prometheus scraping its /metrics.
  packages+=(chromium prometheus)
  # The deploy tests: shellcheck for the scripts, systemd-analyze for the unit, qemu to run the ARM64 build here.
  packages+=(shellcheck systemd qemu-user-static)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "install-deps: installing ${missing[*]}" >&2
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "$profile" != runtime ]; then
  command -v dotnet >/dev/null || { echo "install-deps: the .NET 10 SDK (dotnet) is required and not on PATH" >&2; exit 1; }
fi
arm64_ready() { [ -e /usr/lib/aarch64-linux-gnu/libstdc++.so.6 ] && [ -e /usr/lib/aarch64-linux-gnu/libssl.so.3 ]; }
if [ "$profile" = test ] && ! arm64_ready && [ -r /etc/debian_version ] && ! grep -qi ubuntu /etc/os-release 2>/dev/null; then
  # The ARM64 build runs here under qemu-user with Debian's arm64 C and C++ runtimes (multiarch), and OpenSSL, which
  # .NET's SHA-256 (the model check) loads. Best effort: the test that needs them is skipped without them (Ubuntu
  # keeps arm64 packages on another mirror).
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "install-deps: adding the arm64 C/C++ runtime and OpenSSL for the qemu test" >&2
  if ! { $sudo dpkg --add-architecture arm64 && $sudo apt-get update -qq >/dev/null; }; then
    echo "install-deps: arm64 packages unavailable; the qemu test will be skipped" >&2
    $sudo dpkg --remove-architecture arm64 2>/dev/null || true
  else
    # Debian 13 renamed OpenSSL's library package for the 64-bit time_t transition.
    ssl=libssl3:arm64
    if apt-cache show libssl3t64:arm64 >/dev/null 2>&1; then ssl=libssl3t64:arm64; fi
    if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends libc6:arm64 libstdc++6:arm64 "$ssl" >/dev/null; then
      echo "install-deps: arm64 runtime not installed; the qemu test will be skipped" >&2
      # Leave apt as it was, so later installs do not trip over a foreign architecture the mirrors lack.
      if ! dpkg -l | grep -q ':arm64'; then $sudo dpkg --remove-architecture arm64 2>/dev/null || true; fi
    fi
  fi
fi
