#!/usr/bin/env bash
# Installs a new release beside the running one and switches to it, and back again if it does not come up healthy.
# Usage: update.sh [--root DIR] [--timeout SECONDS] [RELEASE_DIR]
#        update.sh --manifest release.json [--public-key FILE] [--root DIR] [--timeout SECONDS]
#        update.sh --rollback [--root DIR] [--timeout SECONDS]
#   RELEASE_DIR  a release built by publish.sh (default: the release this script is part of), or one kept under
#                /opt/workerpool/releases/ (switching to it copies nothing)
#   --manifest   a signed release manifest from publish.sh, its archive beside it (docs/FLEET.md "Signed releases"):
#                refused, changing nothing, unless release.json.sig verifies with the public key, the archive's size
#                and sha256 match, the rid is this device's and the version is newer (sort -V) than the current one;
#                then the archive is unpacked and installed as a RELEASE_DIR is
#   --public-key the release public key (default /etc/workerpool/release-public.pem under --root)
#   --rollback   switch back to the release that ran before the current one, as update.sh recorded it (twice:
#                back two updates), with the same check and health wait as an update; if it does not come up
#                healthy, forward again to the one running now (exit 1). Run /opt/workerpool/current/deploy/update.sh
#   --root       install under DIR instead of / (tests); services are then left alone unless SYSTEMCTL is set
#   --timeout    how long the new release has to report healthy (default 180 s; SETTLE_SECONDS more to stay so)
# Steps: (--manifest: verify it and its archive, unpack into a staging directory under /opt/workerpool;) copy into
# releases/<version>; let the new binary check the device config (refused: nothing changes);
# switch `current` with one rename; restart; wait for health.json to say healthy for the new version; otherwise
# switch back, restart the old release and exit 1. Old releases beyond the last KEEP_RELEASES are removed, except
# the one a rollback would go back to.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=release-lib.sh
. "$here/release-lib.sh"

src="$here/.."
src_given=0
rollback=0
manifest=""
public_key=""
timeout=180
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --rollback) rollback=1; shift ;;
    --manifest) manifest="$2"; shift 2 ;;
    --public-key) public_key="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) src="$1"; src_given=1; shift ;;
  esac
done
layout
[ -L "$CURRENT" ] || die "no release is installed under $OPT; run install.sh first"
[ -f "$ETC/config.json" ] || die "$ETC/config.json is missing; run install.sh first"

previous="$(current_version)"
staging=""
marker=""
trap 'rm -f "$marker"; if [ -n "$staging" ]; then rm -rf "$staging"; fi' EXIT
if [ -n "$manifest" ]; then
  if [ "$src_given" = 1 ] || [ "$rollback" = 1 ]; then die "--manifest takes no RELEASE_DIR nor --rollback"; fi
  verify_manifest "$manifest" "${public_key:-$ETC/release-public.pem}"
  if [ "$MANIFEST_CURRENT" = 1 ]; then say "$MANIFEST_VERSION is already the current release"; exit 0; fi
  say "$manifest: signature, size and sha256 verified; unpacking $MANIFEST_VERSION"
  staging="$(mktemp -d "$OPT/.staging.XXXXXX")"
  unpack_release "$staging"
  chmod 0755 "$staging" # mktemp's 0700 would be copied with it, and the service user reads the release
  src="$staging"
fi
if [ "$rollback" = 1 ]; then
  [ "$src_given" = 0 ] || die "--rollback takes no RELEASE_DIR (to switch to a given release: update.sh RELEASE_DIR)"
  version="$(rollback_target)"
  if [ -z "$version" ]; then
    kept="$(find "$RELEASES" -mindepth 1 -maxdepth 1 -type d ! -name '.*' ! -name "$previous" -printf '%f ' | sed 's/ $//')"
    if [ -n "$kept" ]; then
      die "nothing to roll back to: no release is recorded as running before $previous (kept under $RELEASES: $kept; to switch to one: update.sh $RELEASES/<version>); nothing was changed"
    fi
    die "nothing to roll back to: $previous is the only release under $RELEASES; nothing was changed"
  fi
else
  version="$(copy_release "$src")"
  if [ "$version" = "$previous" ]; then say "$version is already the current release"; exit 0; fi
fi
preflight "$version"

marker="$(mktemp "${TMPDIR:-/tmp}/workerpool-update.XXXXXX")"
if [ "$rollback" = 1 ]; then say "rolling back from $previous to $version"; else say "switching from $previous to $version"; fi
switch_current "$version"
install_unit "$version"
service_ctl daemon-reload
enable_update_helper
restart_service
if [ "$rollback" = 0 ]; then report_state installed "$version" ""; fi
if wait_healthy "$version" "$timeout" "$marker"; then
  if [ "$rollback" = 1 ]; then
    history_rolled_back_to "$version"
    report_state rolled-back "$previous" "rolled back by the operator from $previous to $version"
    say "rolled back: $version is running and healthy; $previous stays in $RELEASES"
  else
    history_record "$previous" "$version"
    report_state healthy "$version" ""
    say "$version is healthy; $previous stays in $RELEASES for a manual rollback ($CURRENT/deploy/update.sh --rollback)"
    prune_releases "$previous"
  fi
  exit 0
fi

if [ "$rollback" = 1 ]; then
  say "$version did not report healthy within $timeout s; switching forward again to $previous"
else
  say "$version did not report healthy within $timeout s; rolling back to $previous"
fi
touch "$marker"
switch_current "$previous"
install_unit "$previous"
service_ctl daemon-reload
restart_service
if wait_healthy "$previous" "$timeout" "$marker"; then
  if [ "$rollback" = 1 ]; then
    report_state failed "$version" "the rollback to $version did not report healthy within $timeout s; $previous runs again"
    say "not rolled back: $previous is running and healthy again"
  else
    report_state rolled-back "$version" "$version did not report healthy within $timeout s; rolled back to $previous, which is healthy"
    say "rolled back: $previous is running and healthy again"
  fi
else
  if [ "$rollback" = 1 ]; then report_state failed "$version" "the rollback to $version did not report healthy within $timeout s, nor did $previous after switching back"
  else report_state rolled-back "$version" "$version did not report healthy within $timeout s; rolled back to $previous, which has not reported healthy either"
  fi
  say "switched back to $previous, but it has not reported healthy either (journalctl -u $SERVICE)"
fi
exit 1
