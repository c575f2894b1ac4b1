#!/usr/bin/env bash
# The root update helper: carries out what the unprivileged service asked for in /var/lib/workerpool/update/request,
# and records where that stands in state.json beside it, which the service publishes (docs/FLEET.md, "Rolling out a
# release"). systemd runs it as root from workerpool-update.service, which workerpool-update.path starts while the
# request exists; it is never run by the service itself, and it trusts nothing the service wrote: every value is
# checked, and a release is installed only when its manifest verifies with the release key (update.sh --manifest).
# Usage: update-agent.sh [--root DIR] [--timeout SECONDS]
#   requests (key=value lines):
#     action=update rollout=ID version=V url=URL manifest=BASE64(release.json) signature=BASE64(release.json.sig)
#       verify the manifest, download the archive (resuming a partial download; curl), install it with update.sh
#       --manifest, which rolls back by itself if it does not come up healthy
#     action=rollback       update.sh --rollback
#     action=decommission   stop and disable the service, wipe its private keys (the device leaves the fleet)
#   --root, --timeout as update.sh's
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=release-lib.sh
. "$here/release-lib.sh"

timeout=180
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done
layout
SPOOL="$DATA/update"
request="$SPOOL/request"
export STATE_FILE="$SPOOL/state.json"
[ -d "$SPOOL" ] && [ ! -L "$SPOOL" ] || exit 0
[ -f "$request" ] && [ ! -L "$request" ] || exit 0

work="$(mktemp -d "${TMPDIR:-/tmp}/workerpool-agent.XXXXXX")"
# The request is done with whatever happens: the path unit would otherwise start this again at once.
trap 'rm -rf "$work"; rm -f "$request"' EXIT
if [ "$(stat -c %s "$request")" -gt 262144 ]; then die "refused: $request is larger than 256 KiB"; fi
cp "$request" "$work/request"
field() { sed -n "s/^$1=//p" "$work/request" | head -n 1; }
action="$(field action)"
rollout="$(field rollout)"
export STATE_ROLLOUT=""
if [[ "$rollout" =~ ^[0-9A-Za-z][0-9A-Za-z.+_-]{0,127}$ ]]; then STATE_ROLLOUT="$rollout"; fi

# Records state $1 for release $2 with reason $3, and ends the run (status 1) for a refusal or failure.
finish() {
  report_state "$1" "$2" "$3"
  if [ "$1" = refused ] || [ "$1" = failed ]; then say "$1: $3"; exit 1; fi
  exit 0
}

# update.sh's last line, without its "update.sh: " and "refused: " prefixes: the reason to report.
last_reason() { tail -n 1 "$1" | sed 's/^[^:]*: //; s/^refused: //'; }

case "$action" in
  update)
    version="$(field version)"
    url="$(field url)"
    [[ "$version" =~ ^[0-9A-Za-z][0-9A-Za-z.+_-]{0,127}$ ]] || finish refused "" "the request names no valid version"
    [ -n "$STATE_ROLLOUT" ] || finish refused "$version" "the request names no valid rollout"
    if ! [[ "$url" =~ ^https?://[A-Za-z0-9._~:/?#@!\$\&\'()*+,\;=%-]{1,2040}$ ]]; then
      finish refused "$version" "the request's url is not a plain http(s) URL"
    fi
    dl="$OPT/.download"
    mkdir -p "$dl"
    chmod 0700 "$dl"
    manifest="$dl/release.json"
    field manifest | base64 -d >"$manifest" 2>/dev/null || finish refused "$version" "the request's manifest is not base64"
    field signature | base64 -d >/dev/null 2>&1 || finish refused "$version" "the request's manifest signature is not base64"
    field signature >"$manifest.sig"
    # The signature, rid and version first, so nothing is downloaded for a manifest that will be refused.
    # release-lib's checks end in die: from here on, a refusal is recorded in die's own words before the run ends.
    die() { local why="$*"; finish refused "$version" "${why#refused: }"; }
    verify_manifest "$manifest" "$ETC/release-public.pem" head
    [ "$MANIFEST_VERSION" = "$version" ] || finish refused "$version" "the manifest is for $MANIFEST_VERSION, the request for $version"
    if [ "$MANIFEST_CURRENT" = 1 ]; then finish healthy "$version" "$version is already running"; fi
    command -v curl >/dev/null || finish failed "$version" "curl is needed to download releases (apt-get install curl)"
    report_state downloading "$version" ""
    archive="$MANIFEST_ARCHIVE"
    # Another release's partial download is dropped; this one's is resumed (the server answers range requests).
    find "$dl" -maxdepth 1 -type f ! -name "$(basename "$archive")" ! -name release.json ! -name release.json.sig -delete
    if [ -f "$archive" ] && [ "$(stat -c %s "$archive")" -gt "$MANIFEST_SIZE" ]; then rm -f "$archive"; fi
    # Each attempt resumes where the last one stopped (-C -: a range request), so a link that keeps dropping still
    # gets the archive through; curl's own --retry would not retry a transfer cut off midway.
    attempt=0
    status=0
    while ! [ -f "$archive" ] || [ "$(stat -c %s "$archive")" -lt "$MANIFEST_SIZE" ]; do
      attempt=$((attempt + 1))
      if [ "$attempt" -gt "${DOWNLOAD_ATTEMPTS:-6}" ]; then
        finish failed "$version" "downloading $url failed after $((attempt - 1)) attempts (curl exit $status: $(tail -n 1 "$work/curl"))"
      fi
      if [ "$attempt" -gt 1 ]; then sleep $((attempt * 2)); fi
      status=0
      curl -fsS --location --connect-timeout 20 --max-time 7200 -C - -o "$archive" "$url" 2>"$work/curl" || status=$?
      say "download attempt $attempt: curl exit $status, $(stat -c %s "$archive" 2>/dev/null || echo 0) of $MANIFEST_SIZE bytes"
    done
    status=0
    "$here/update.sh" --root "${ROOT:-/}" --timeout "$timeout" --manifest "$manifest" 2>"$work/update" || status=$?
    cat "$work/update" >&2
    rm -f "$archive"
    if [ "$status" = 0 ]; then exit 0; fi # update.sh recorded installed and healthy
    if grep -q '"state":"rolled-back"' "$STATE_FILE" 2>/dev/null; then exit 1; fi # and the rollback
    finish refused "$version" "$(last_reason "$work/update")"
    ;;
  rollback)
    status=0
    "$here/update.sh" --root "${ROOT:-/}" --timeout "$timeout" --rollback 2>"$work/update" || status=$?
    cat "$work/update" >&2
    if [ "$status" = 0 ] || grep -q '"state":"failed"' "$STATE_FILE" 2>/dev/null; then exit "$status"; fi
    finish failed "$(current_version)" "rollback: $(last_reason "$work/update")"
    ;;
  decommission)
    report_state decommissioned "$(current_version)" "decommissioned: the service is stopped and disabled, its private keys wiped"
    service_ctl disable --now "$SERVICE" || say "stopping $SERVICE failed; wiping its keys anyway"
    service_ctl disable --now "$SERVICE-update.path" 2>/dev/null || true
    # Every private key the device holds: the bundle's, and renewed ones in the data directory.
    find "$ETC" "$DATA" -maxdepth 2 -type f \( -name '*.key' -o -name '*-private.pem' \) -print0 2>/dev/null \
      | while IFS= read -r -d '' key; do shred -u "$key" 2>/dev/null || rm -f "$key"; done
    say "decommissioned: $SERVICE stopped and disabled, private keys wiped (config and outbox kept; uninstall.sh --purge removes them)"
    ;;
  *)
    finish refused "" "the request's action is not update, rollback or decommission"
    ;;
esac
