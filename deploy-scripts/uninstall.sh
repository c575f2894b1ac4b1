#!/usr/bin/env bash
# Removes WorkerPool: stops and disables the service, removes the unit and every release. The device config and the
# data directory (outbox records not yet sent, and the seq ledger, so a reinstall numbers on) stay unless --purge is
# given, which removes them and the system user: a new install then numbers count records from seq 1 again.
# Usage: uninstall.sh [--root DIR] [--purge]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=release-lib.sh
. "$here/release-lib.sh"

purge=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="$2"; shift 2 ;;
    --purge) purge=1; shift ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done
layout
if on_device; then [ "$(id -u)" = 0 ] || die "run as root (sudo)"; fi

if [ -f "$(dirname "$UNIT")/$SERVICE-update.path" ]; then
  service_ctl disable --now "$SERVICE-update.path" || say "stopping $SERVICE-update.path failed; removing it anyway"
  rm -f "$(dirname "$UNIT")/$SERVICE-update.path" "$(dirname "$UNIT")/$SERVICE-update.service"
fi
if [ -f "$UNIT" ]; then
  service_ctl disable --now "$SERVICE" || say "stopping $SERVICE failed; removing it anyway"
  rm -f "$UNIT"
  service_ctl daemon-reload
fi
rm -rf "$OPT"
if [ "$purge" = 1 ]; then
  rm -rf "$ETC" "$DATA"
  if on_device && getent passwd workerpool >/dev/null; then userdel workerpool; fi
  say "removed WorkerPool, its config and its data (a new install numbers its count records from seq 1)"
else
  say "removed WorkerPool; kept $ETC and $DATA (uninstall.sh --purge removes them)"
fi
