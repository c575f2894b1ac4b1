#!/usr/bin/env bash
# Installs WorkerPool on a device: the system user, the directory layout, the systemd unit, the device config and
# a first release; then starts it and waits for it to report healthy. Idempotent: run it again and nothing changes
# (an existing /etc/workerpool/config.json is never overwritten, except a placeholder one by a --bundle's). A newer release given here goes through update.sh.
# Usage: install.sh [--root DIR] [--config FILE | --bundle PATH] [--no-start] [--insecure] [--timeout SECONDS] [RELEASE_DIR]
#   RELEASE_DIR  a release built by publish.sh (default: the release this script is part of)
#   --root       install under DIR instead of / (tests): no user, group or udev changes; services left alone unless SYSTEMCTL is set
#   --config     the device config to install when none is there yet (default: the release's deploy/config.json)
#   --bundle     a device bundle from workerpool-fleet provision (its folder, or a .tar.gz of it): its certificate,
#                key, broker CA and release key always replace those in /etc/workerpool; its config.json is
#                installed when there is no config yet or the one there still has the placeholder deviceId CHANGE-ME
#   --no-start   lay everything out but do not enable or start the service
#   --insecure   start a device whose config has no security.fleetPublicKey (it then takes unsigned configs and commands)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=release-lib.sh
. "$here/release-lib.sh"

src="$here/.."
config=""
bundle=""
start=1
insecure=0
timeout=180
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="$2"; shift 2 ;;
    --config) config="$2"; shift 2 ;;
    --bundle) bundle="$2"; shift 2 ;;
    --no-start) start=0; shift ;;
    --insecure) insecure=1; shift ;;
    --timeout) timeout="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) src="$1"; shift ;;
  esac
done
layout
src="$(cd "$src" && pwd)"
new="$(release_version "$src")"
unpacked=""
if [ -n "$bundle" ]; then
  [ -z "$config" ] || die "--config and --bundle both name a config: give one"
  if [ -f "$bundle" ]; then
    unpacked="$(mktemp -d "${TMPDIR:-/tmp}/workerpool-bundle.XXXXXX")"
    trap 'rm -rf "$unpacked"' EXIT
    tar -xzf "$bundle" -C "$unpacked" || die "$bundle is not a .tar.gz bundle"
    bundle="$unpacked"
  fi
  [ -d "$bundle" ] || die "bundle $bundle does not exist"
  # A tarball of the bundle folder holds that folder; one made inside it holds the files themselves.
  if [ ! -f "$bundle/config.json" ]; then
    inner=("$bundle"/*/config.json)
    if [ "${#inner[@]}" != 1 ] || [ ! -f "${inner[0]}" ]; then
      die "$bundle holds no bundle (config.json, device.crt, ...) from workerpool-fleet provision"
    fi
    bundle="$(dirname "${inner[0]}")"
  fi
  for f in config.json device.crt device.key broker-ca.crt release-public.pem; do
    [ -f "$bundle/$f" ] || die "bundle $bundle lacks $f: make it again with workerpool-fleet provision"
  done
  config="$bundle/config.json"
fi
[ -z "$config" ] && config="$src/deploy/config.json"
[ -f "$config" ] || die "device config $config does not exist"

if on_device; then
  [ "$(id -u)" = 0 ] || die "run as root (sudo)"
  # The Debian packages the release needs (FFmpeg for cameras; GTK 3 and libatomic for x64's OpenCV).
  if command -v apt-get >/dev/null; then "$here/install-deps.sh" runtime; fi
  if ! getent group gpio >/dev/null; then
    # Boards without a gpio group (JetPack has one): create it (the unit names it) and, where udev runs, let it
    # open the GPIO chips for the status LED.
    groupadd --system gpio
    if [ -d /etc/udev/rules.d ]; then
      echo 'SUBSYSTEM=="gpio", KERNEL=="gpiochip*", GROUP="gpio", MODE="0660"' >/etc/udev/rules.d/60-workerpool-gpio.rules
      if udevadm control --reload-rules 2>/dev/null; then udevadm trigger --subsystem-match=gpio 2>/dev/null || true; fi
    fi
  fi
  if ! getent passwd workerpool >/dev/null; then
    useradd --system --user-group --home-dir /var/lib/workerpool --no-create-home --shell /usr/sbin/nologin \
      --comment "WorkerPool people counter" workerpool
  fi
fi

mkdir -p "$RELEASES" "$ETC" "$DATA" "$DATA/update"
chmod 0750 "$DATA" "$ETC" "$DATA/update"
etc_files=("$ETC/config.json" "$ETC/workerpool.env")
if [ -n "$bundle" ]; then
  # The service user reads the key (group workerpool, 0640); others cannot even enter $ETC (0750).
  for f in device.crt device.key broker-ca.crt release-public.pem; do
    install -m 0640 "$bundle/$f" "$ETC/$f"
    etc_files+=("$ETC/$f")
  done
  say "installed the bundle's device.crt, device.key, broker-ca.crt and release-public.pem in $ETC"
  if [ -f "$ETC/config.json" ] && grep -Eq '"deviceId"[[:space:]]*:[[:space:]]*"CHANGE-ME"' "$ETC/config.json"; then
    rm -f "$ETC/config.json" # the release's placeholder, never edited for this device: the bundle's replaces it
  elif [ -f "$ETC/config.json" ]; then
    say "kept the existing $ETC/config.json (a bundle's config is installed only where there is none yet)"
  fi
fi
if [ ! -f "$ETC/config.json" ]; then
  install -m 0640 "$config" "$ETC/config.json"
  if [ -n "$bundle" ]; then say "installed $ETC/config.json from the bundle"
  else say "installed $ETC/config.json from $config: edit it for this device (deviceId, cameras, broker)"; fi
fi
if [ -n "$unpacked" ]; then rm -rf "$unpacked"; trap - EXIT; fi
[ -f "$ETC/workerpool.env" ] || install -m 0640 "$src/deploy/systemd/workerpool.env" "$ETC/workerpool.env"
if on_device; then
  # The service writes update requests there; the root helper (workerpool-update.service) only reads them.
  chown workerpool:workerpool "$DATA" "$DATA/update"
  chgrp workerpool "$ETC" "${etc_files[@]}"
fi

current="$(current_version)"
if [ -n "$current" ] && [ "$current" != "$new" ]; then
  # An earlier install may have stopped before enabling the service (a config that needed editing).
  if [ "$start" = 1 ]; then service_ctl enable "$SERVICE"; fi
  say "$current is installed; updating to $new"
  args=(--root "${ROOT:-/}" --timeout "$timeout" "$src")
  exec "$here/update.sh" "${args[@]}"
fi

version="$(copy_release "$src")"
switch_current "$version"
install_unit "$version"
service_ctl daemon-reload
# A new device usually needs its config edited first: everything stays laid out, and running install.sh again
# after the edit goes on from here. This script runs as root, which reads every file: check is told the user the
# unit runs the service as, so a key or password file only root can read is refused here, not at the first start.
check_args=()
if on_device; then check_args=(--service-user workerpool); fi
release_check "$version" ${check_args[@]+"${check_args[@]}"} ||
  die "$version is installed but not started: fix $ETC/config.json (above) and run install.sh again"
if [ "${SIGNED:-}" = "not required" ] && [ "$insecure" = 0 ]; then
  die "$version is installed but not started: $ETC/config.json has no security.fleetPublicKey, so anyone who can publish to this device's topics would configure it. Set the fleet's public key, or run install.sh --insecure to start it anyway"
fi
if [ "$start" = 0 ]; then say "installed $version (not started: --no-start)"; exit 0; fi

marker="$(mktemp "${TMPDIR:-/tmp}/workerpool-install.XXXXXX")"
trap 'rm -f "$marker"' EXIT
service_ctl enable "$SERVICE"
enable_update_helper
restart_service
if [ -n "${SYSTEMCTL:-}" ] || on_device; then
  wait_healthy "$version" "$timeout" "$marker" || die "$version did not report healthy within $timeout s (journalctl -u $SERVICE)"
  say "$version installed and healthy"
else
  say "$version installed under $ROOT"
fi
