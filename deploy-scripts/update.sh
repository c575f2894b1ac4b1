#!/usr/bin/env bash
# Installs a new release beside the running one and switches to it, and back again if it does not come up healthy.
# Usage: update.sh [--root DIR] [--timeout SECONDS] [RELEASE_DIR]
#   RELEASE_DIR  a release built by publish.sh (default: the release this script is part of)
#   --root       install under DIR instead of / (tests); services are then left alone unless SYSTEMCTL is set
#   --timeout    how long the new release has to report healthy (default 180 s; SETTLE_SECONDS more to stay so)
# Steps: copy into releases/<version>; let the new binary check the device config (refused: nothing changes);
# switch `current` with one rename; restart; wait for health.json to say healthy for the new version; otherwise
# switch back, restart the old release and exit 1. Old releases beyond the last KEEP_RELEASES are removed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=release-lib.sh
. "$here/release-lib.sh"

src="$here/.."
timeout=180
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) src="$1"; shift ;;
  esac
done
layout
[ -L "$CURRENT" ] || die "no release is installed under $OPT; run install.sh first"
[ -f "$ETC/config.json" ] || die "$ETC/config.json is missing; run install.sh first"

previous="$(current_version)"
version="$(copy_release "$src")"
if [ "$version" = "$previous" ]; then say "$version is already the current release"; exit 0; fi
preflight "$version"

marker="$(mktemp "${TMPDIR:-/tmp}/workerpool-update.XXXXXX")"
trap 'rm -f "$marker"' EXIT
say "switching from $previous to $version"
switch_current "$version"
install_unit "$version"
service_ctl daemon-reload
restart_service
if wait_healthy "$version" "$timeout" "$marker"; then
  say "$version is healthy; $previous stays in $RELEASES for a manual rollback"
  prune_releases "$previous"
  exit 0
fi

say "$version did not report healthy within $timeout s; rolling back to $previous"
touch "$marker"
switch_current "$previous"
install_unit "$previous"
service_ctl daemon-reload
restart_service
if wait_healthy "$previous" "$timeout" "$marker"; then
  say "rolled back: $previous is running and healthy again"
else
  say "rolled back to $previous, but it has not reported healthy either (journalctl -u $SERVICE)"
fi
exit 1
