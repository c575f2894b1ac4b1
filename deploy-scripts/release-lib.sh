#!/usr/bin/env bash
# Shared by install.sh, update.sh and uninstall.sh: the on-device layout, copying a release in, switching the
# `current` link atomically, and waiting for the service to report healthy. Sourced, never run.
#
# Layout (every path under $ROOT, which is / on a device and a temporary directory in tests):
#   /opt/workerpool/releases/<version>/   one directory per release (binary, native libraries, model, deploy/)
#   /opt/workerpool/current -> releases/<version>   the release systemd runs, switched with one rename
#   /opt/workerpool/history                         the releases update.sh made current, oldest first (rollback)
#   /etc/workerpool/config.json, workerpool.env     the device's config, never overwritten once there
#   /etc/systemd/system/workerpool.service          from the running release
#   /var/lib/workerpool/                            data: outbox, remote-config state, health.json, engine cache

ROOT="/"
SERVICE="workerpool"
KEEP_RELEASES="${KEEP_RELEASES:-3}"

say() { echo "$(basename "$0"): $*" >&2; }
die() { say "$*"; exit 1; }

# Sets the layout paths for $ROOT; call after parsing --root.
layout() {
  ROOT="${ROOT%/}"
  OPT="$ROOT/opt/workerpool"
  RELEASES="$OPT/releases"
  CURRENT="$OPT/current"
  HISTORY="$OPT/history"
  ETC="$ROOT/etc/workerpool"
  DATA="$ROOT/var/lib/workerpool"
  UNIT="$ROOT/etc/systemd/system/$SERVICE.service"
  # An operator's HEALTH_FILE wins; otherwise the release's check says where the service writes it (release_check).
  HEALTH_FILE_GIVEN="${HEALTH_FILE:+1}"
  HEALTH_FILE="${HEALTH_FILE:-$DATA/health.json}"
}

# True on a real device install (root prefix /): users, groups and systemd are touched only then.
on_device() { [ -z "$ROOT" ]; }

# systemctl, or what SYSTEMCTL names (tests pass a fake); outside / and without SYSTEMCTL, services are left alone.
service_ctl() {
  if [ -n "${SYSTEMCTL:-}" ]; then "$SYSTEMCTL" "$@"
  elif on_device; then systemctl "$@"
  else say "not running 'systemctl $*' for a root prefix ($ROOT)"
  fi
}

# Restarts the service without waiting for it: whether it works is decided by wait_healthy, not by systemctl
# (a failing start would otherwise end the script under `set -e` before it could roll back). The start-limit
# counter is reset first, so a release that crash-looped does not keep the next one from starting.
restart_service() {
  service_ctl reset-failed "$SERVICE" 2>/dev/null || true
  service_ctl restart "$SERVICE" --no-block || say "systemctl restart $SERVICE failed; waiting for health anyway"
}

# The version a release directory carries. It names a directory under releases/ and the target of `current`, so
# it must be one plain name: letters, digits and . + _ - , not starting with a dot (no "", ".", "..", "a/b", spaces).
release_version() {
  local version
  if [ ! -f "$1/VERSION" ] || [ ! -x "$1/workerpool" ]; then
    die "$1 is not a release directory (no VERSION or workerpool); build one with deploy-scripts/publish.sh RID"
  fi
  version="$(sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' "$1/VERSION" | head -n 1)"
  if ! [[ "$version" =~ ^[0-9A-Za-z][0-9A-Za-z.+_-]*$ ]] || [ "$(wc -l <"$1/VERSION")" -gt 1 ]; then
    die "$1/VERSION ('$version') is not a release version (letters, digits and . + _ - only); nothing was changed"
  fi
  echo "$version"
}

# The version `current` points at, or nothing.
current_version() { if [ -L "$CURRENT" ]; then basename "$(readlink "$CURRENT")"; fi; }

# The releases that were current, oldest first, as update.sh recorded them: only those still kept under releases/
# (pruned ones drop out). A device installed and updated only by older scripts has none.
history_read() {
  local name
  [ -f "$HISTORY" ] || return 0
  while IFS= read -r name; do
    if [[ "$name" =~ ^[0-9A-Za-z][0-9A-Za-z.+_-]*$ ]] && [ -x "$RELEASES/$name/workerpool" ]; then echo "$name"; fi
  done <"$HISTORY"
}

# Replaces the history with the versions given as arguments, in one rename.
history_write() {
  if [ $# -gt 0 ]; then printf '%s\n' "$@" >"$HISTORY.new"; else : >"$HISTORY.new"; fi
  mv "$HISTORY.new" "$HISTORY"
}

# Records a switch from release $1 (what was current) to $2 that came up healthy.
history_record() {
  local entries
  mapfile -t entries < <(history_read)
  if [ ${#entries[@]} -eq 0 ] || [ "${entries[-1]}" != "$1" ]; then entries+=("$1"); fi
  history_write "${entries[@]}" "$2"
}

# The release a rollback from the current one goes back to: the last one recorded before it that is still kept.
# Prints nothing when there is none.
rollback_target() {
  local cur entries i
  cur="$(current_version)"
  mapfile -t entries < <(history_read)
  for (( i = ${#entries[@]} - 1; i >= 0; i-- )); do
    if [ "${entries[i]}" != "$cur" ]; then echo "${entries[i]}"; return 0; fi
  done
}

# After a rollback to $1 came up healthy: forgets what was recorded after it, so the next rollback goes further back
# (not forward again to the release just left).
history_rolled_back_to() {
  local entries i
  mapfile -t entries < <(history_read)
  for (( i = ${#entries[@]} - 1; i >= 0; i-- )); do
    if [ "${entries[i]}" = "$1" ]; then history_write "${entries[@]:0:i+1}"; return 0; fi
  done
}

# Copies release $1 into releases/<version> (whole or not at all) and prints the version.
copy_release() {
  local src="$1" version tmp
  version="$(release_version "$src")"
  mkdir -p "$RELEASES"
  # A release directory is never changed once there (the running service may be using it): the same version is reused.
  if [ ! -d "$RELEASES/$version" ]; then
    tmp="$RELEASES/.incoming-$version"
    rm -rf "$tmp"
    cp -a "$src/." "$tmp/"
    # A tree straight from artifacts/RID/ also holds its archive and manifest: not part of the release.
    rm -f "$tmp/release.json" "$tmp/release.json.sig" "$tmp"/workerpool-*.tar.gz
    mv "$tmp" "$RELEASES/$version"
    touch "$RELEASES/$version" # pruning goes by install time, not build time
  fi
  echo "$version"
}

# Points `current` at releases/$1 with a single rename, so it is never missing or half-written.
switch_current() {
  ln -sfn "releases/$1" "$OPT/.current.new"
  mv -T "$OPT/.current.new" "$CURRENT"
}

# Runs release $1's `check` of the device config in the environment the service gets (workerpool.env: a Jetson's
# native libraries are named there, and without them the check would fail where the service would not). Its output
# goes to stderr; its "health file: PATH" line sets HEALTH_FILE, so updates wait on the file the service will write
# (the config's health.file, or health.json beside the outbox) rather than on a guess.
# Arguments after the version go to check (install.sh: --service-user, which only a release as new as it knows).
release_check() {
  local out status=0 said version="$1"
  shift
  out="$(
    if [ -f "$ETC/workerpool.env" ]; then
      set -a
      # shellcheck disable=SC1091 # the device's own file
      . "$ETC/workerpool.env"
      set +a
    fi
    exec "$RELEASES/$version/workerpool" check --config "$ETC/config.json" "$@"
  )" || status=$?
  if [ -n "$out" ]; then printf '%s\n' "$out" >&2; fi
  said="$(printf '%s\n' "$out" | sed -n 's/^health file: //p' | tail -n 1)"
  if [ -n "$said" ] && [ -z "$HEALTH_FILE_GIVEN" ]; then HEALTH_FILE="$said"; fi
  # "required" or "not required": whether the config makes the device verify remote changes (install.sh --insecure).
  # shellcheck disable=SC2034 # read by install.sh
  SIGNED="$(printf '%s\n' "$out" | sed -n 's/^signed config and commands: \(not required\|required\).*/\1/p' | tail -n 1)"
  return "$status"
}

# The release's own check of the device config, before anything is switched.
preflight() {
  local version="$1"
  release_check "$version" || die "release $version refuses $ETC/config.json (see above); nothing was changed"
}

# Installs the units from release $1 (units may change between releases): the service's, and the root update
# helper's path and oneshot units where the release has them.
install_unit() {
  local unit dir
  dir="$(dirname "$UNIT")"
  mkdir -p "$dir"
  for unit in "$SERVICE.service" "$SERVICE-update.service" "$SERVICE-update.path"; do
    [ -f "$RELEASES/$1/deploy/systemd/$unit" ] || continue
    install -m 0644 "$RELEASES/$1/deploy/systemd/$unit" "$dir/$unit.new"
    mv "$dir/$unit.new" "$dir/$unit"
  done
}

# Enables the root update helper's path unit where the installed release brought it (an update from a release
# without it lays it down first). Its failure is not the update's: the service runs without it.
enable_update_helper() {
  if [ -f "$(dirname "$UNIT")/$SERVICE-update.path" ]; then
    service_ctl enable --now "$SERVICE-update.path" || say "enabling $SERVICE-update.path failed: remote updates wait until it is"
  fi
}

# JSON string of $1: quotes, backslashes and control characters escaped (a reason may quote anything).
json_string() {
  local s="$1"
  s="${s//\\/\\\\}"
  s="${s//\"/\\\"}"
  s="$(printf '%s' "$s" | tr '\000-\037' ' ')"
  printf '"%s"' "$s"
}

# Records where the software stands for the service to report (docs/TELEMETRY.md, "Software"), when STATE_FILE is
# set (update-agent.sh sets it; a manual update.sh leaves it unset): state $1, about release $2, reason $3 (may be
# empty), for rollout $STATE_ROLLOUT. Written to a new file and renamed over the old one: the folder is the service's,
# so a link planted there is replaced, never followed.
report_state() {
  [ -n "${STATE_FILE:-}" ] || return 0
  local tmp rollout=null reason=null version=null
  if [ -n "${STATE_ROLLOUT:-}" ]; then rollout="$(json_string "$STATE_ROLLOUT")"; fi
  if [ -n "$2" ]; then version="$(json_string "$2")"; fi
  if [ -n "${3:-}" ]; then reason="$(json_string "$3")"; fi
  tmp="$(mktemp "$(dirname "$STATE_FILE")/.state.XXXXXX")" || { say "cannot write $STATE_FILE"; return 0; }
  printf '{"state":"%s","version":%s,"running":%s,"rollout":%s,"reason":%s,"time":"%s"}\n' "$1" "$version" \
    "$(json_string "$(current_version)")" "$rollout" "$reason" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$STATE_FILE"
}

# Waits up to $2 seconds for the health file to say "healthy" for version $1, written after $3 (a marker file)
# by a live process, and to say so again $SETTLE_SECONDS later. Returns non-zero otherwise.
wait_healthy() {
  local version="$1" timeout="$2" marker="$3" deadline settle_until="" pid
  deadline=$(( $(date +%s) + timeout ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if [ -f "$HEALTH_FILE" ] && [ "$HEALTH_FILE" -nt "$marker" ] \
        && grep -q '"state":"healthy"' "$HEALTH_FILE" && grep -qF "\"version\":\"$version\"" "$HEALTH_FILE"; then
      pid="$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$HEALTH_FILE")"
      if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        if [ -z "$settle_until" ]; then
          settle_until=$(( $(date +%s) + ${SETTLE_SECONDS:-15} ))
          say "$version reports healthy (pid $pid); watching it for ${SETTLE_SECONDS:-15} s"
        elif [ "$(date +%s)" -ge "$settle_until" ]; then
          return 0
        fi
      fi
    elif [ -n "$settle_until" ]; then
      say "$version stopped reporting healthy while settling"
      settle_until=""
    fi
    sleep 1
  done
  return 1
}

# Removes old releases, keeping `current`, the one given as $1 (the previous) and the newest $KEEP_RELEASES.
prune_releases() {
  local keep_prev="$1" cur n=0 dir name
  cur="$(current_version)"
  # Newest first by modification time; release names are ours (no spaces or newlines).
  while IFS= read -r dir; do
    name="$(basename "$dir")"
    n=$((n + 1))
    if [ "$name" = "$cur" ] || [ "$name" = "$keep_prev" ] || [ "$n" -le "$KEEP_RELEASES" ]; then continue; fi
    say "removing old release $name"
    rm -rf "${RELEASES:?}/$name"
  done < <(find "$RELEASES" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%T@ %p\n' | sort -rn | cut -d' ' -f2-)
}

# --- Signed releases (update.sh --manifest; docs/FLEET.md "Signed releases") ---

# One field of a release manifest (publish.sh's release.json): a string field's value, or a number's for "size".
# Prints nothing when the field is missing or given more than once. The manifest is read only once its signature
# has verified, so this reads what publish.sh writes, not any JSON.
manifest_field() {
  local found
  if [ "$2" = size ]; then
    found="$(grep -o '"size"[[:space:]]*:[[:space:]]*[0-9][0-9]*' "$1" | sed 's/.*:[[:space:]]*//')" || true
  else
    found="$(grep -o "\"$2\"[[:space:]]*:[[:space:]]*\"[^\"]*\"" "$1" | sed 's/^[^:]*:[[:space:]]*"\(.*\)"$/\1/')" || true
  fi
  if [ -n "$found" ] && [ "$(printf '%s\n' "$found" | wc -l)" = 1 ]; then echo "$found"; fi
}

# The runtime this device runs: WORKERPOOL_DEVICE_RID if set; else what the current release recorded (publish.sh
# writes RID into the tree); else the machine's (uname -m: x86_64 is linux-x64, aarch64 linux-arm64).
device_rid() {
  if [ -n "${WORKERPOOL_DEVICE_RID:-}" ]; then echo "$WORKERPOOL_DEVICE_RID"; return 0; fi
  if [ -f "$CURRENT/RID" ]; then head -n 1 "$CURRENT/RID"; return 0; fi
  case "$(uname -m)" in
    x86_64|amd64) echo linux-x64 ;;
    aarch64|arm64) echo linux-arm64 ;;
    *) echo "linux-$(uname -m)" ;;
  esac
}

# True when version $1 orders before version $2 (sort -V; equal is not older).
version_older() { [ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$1" ]; }

# Verifies manifest $1 against public key $2, before anything is changed: its signature ($1.sig), its rid against
# this device, its version against the current one, and its archive's size and sha256. Dies with one line on the
# first refusal. Sets MANIFEST_VERSION and MANIFEST_ARCHIVE (the archive's path) for unpack_release.
# Prints nothing and returns 0; when the manifest's version is the current one, MANIFEST_CURRENT=1 (nothing to do).
# With $3 = head, everything but the archive (it is not downloaded yet); MANIFEST_SIZE is then the size to expect.
verify_manifest() {
  local manifest="$1" key="$2" sig der status=0 rid want archive sha size actual cur
  # shellcheck disable=SC2034 # read by update.sh
  MANIFEST_CURRENT=0
  [ -f "$manifest" ] || die "manifest $manifest does not exist; nothing was changed"
  command -v openssl >/dev/null || die "openssl is needed to verify $manifest (apt-get install openssl); nothing was changed"
  sig="$manifest.sig"
  [ -f "$sig" ] || die "refused: $manifest is unsigned (no $(basename "$sig") beside it); nothing was changed"
  [ -f "$key" ] || die "refused: no release public key at $key (--public-key FILE); nothing was changed"
  der="$(mktemp "${TMPDIR:-/tmp}/workerpool-sig.XXXXXX")"
  if ! base64 -d "$sig" >"$der" 2>/dev/null; then status=1
  elif ! openssl dgst -sha256 -verify "$key" -signature "$der" "$manifest" >/dev/null 2>&1; then status=1
  fi
  rm -f "$der"
  [ "$status" = 0 ] || die "refused: the signature on $manifest does not verify with $key (changed since it was signed, or signed with another key); nothing was changed"

  MANIFEST_VERSION="$(manifest_field "$manifest" version)"
  rid="$(manifest_field "$manifest" rid)"
  archive="$(manifest_field "$manifest" archive)"
  sha="$(manifest_field "$manifest" sha256)"
  size="$(manifest_field "$manifest" size)"
  if ! [[ "$MANIFEST_VERSION" =~ ^[0-9A-Za-z][0-9A-Za-z.+_-]*$ ]] || [ -z "$rid" ] || ! [[ "$archive" =~ ^[0-9A-Za-z][0-9A-Za-z.+_-]*$ ]] \
      || ! [[ "$sha" =~ ^[0-9a-f]{64}$ ]] || [ -z "$size" ]; then
    die "refused: $manifest lacks a valid version, rid, archive, sha256 or size; nothing was changed"
  fi
  want="$(device_rid)"
  [ "$rid" = "$want" ] || die "refused: $manifest is a release for $rid, this device runs $want; nothing was changed"
  cur="$(current_version)"
  # shellcheck disable=SC2034 # read by update.sh
  if [ "$MANIFEST_VERSION" = "$cur" ]; then MANIFEST_CURRENT=1; return 0; fi
  if [ -n "$cur" ] && version_older "$MANIFEST_VERSION" "$cur"; then
    die "refused: $manifest is for $MANIFEST_VERSION, older than the current $cur (a replayed manifest?); nothing was changed"
  fi

  MANIFEST_ARCHIVE="$(dirname "$manifest")/$archive"
  # shellcheck disable=SC2034 # read by update-agent.sh
  MANIFEST_SIZE="$size"
  if [ "${3:-}" = head ]; then return 0; fi # update-agent.sh: before downloading the archive
  [ -f "$MANIFEST_ARCHIVE" ] || die "refused: $MANIFEST_ARCHIVE (the archive $manifest names) does not exist; nothing was changed"
  actual="$(stat -c %s "$MANIFEST_ARCHIVE")"
  [ "$actual" = "$size" ] || die "refused: $MANIFEST_ARCHIVE is $actual bytes, $manifest says $size; nothing was changed"
  actual="$(sha256sum "$MANIFEST_ARCHIVE" | cut -d' ' -f1)"
  [ "$actual" = "$sha" ] || die "refused: the sha256 of $MANIFEST_ARCHIVE is $actual, $manifest says $sha; nothing was changed"
}

# Unpacks the archive verify_manifest checked into directory $1 (made and removed by the caller). Refuses an archive whose release is not the version its manifest names.
unpack_release() {
  local staging="$1" version
  tar -xzf "$MANIFEST_ARCHIVE" -C "$staging" --no-same-owner \
    || die "refused: $MANIFEST_ARCHIVE does not unpack; nothing was changed"
  version="$(release_version "$staging")"
  [ "$version" = "$MANIFEST_VERSION" ] \
    || die "refused: $MANIFEST_ARCHIVE holds release $version, its manifest says $MANIFEST_VERSION; nothing was changed"
}
