#!/usr/bin/env bash
# On-demand check of a release under a real systemd (never in CI: it needs root, a Debian mirror and a few
# minutes): boots a minimal Debian 12 in systemd-nspawn, installs the release with install.sh, and checks
#   1. Type=notify start, the watchdog pings and the health status line, journald priorities;
#   2. the watchdog restarting a frozen service (SIGSTOP);
#   3. update.sh rolling back a release that crashes at every start;
#   4. the root helper and the unprivileged service cooperating: workerpool-update.path enabled and waiting, a request
#      written as the service's user in the service's own mount namespace for a second, signed release (served over
#      HTTP inside the container, signed with a throwaway release key), then a rollback request; each time
#      workerpool-update.service runs as root and state.json (and the retained software topic) ends healthy, then
#      rolled-back, while every process of workerpool.service stays uid workerpool with no capabilities and
#      NoNewPrivs 1, and cannot write outside /var/lib/workerpool.
# Usage: sudo deploy-scripts/systemd-smoke.sh [artifacts/linux-x64]     (results: docs/SYSTEMD-SMOKE.md)
# SMOKE_HTTP_PORT (default 18671): the loopback port step 4's release server listens on (the container shares the
# host's network).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
release="$(cd "${1:-$root/artifacts/linux-x64}" && pwd)"
work="${WORK_DIR:-/var/tmp/workerpool-smoke}"
# debootstrap's result is kept in base/ and copied afresh to root/ for every run, so a run never starts from what
# the last one installed (the release, its user, curl and openssl: step 4 checks whether install.sh brings them).
base="$work/base"
os="$work/root"
port="${SMOKE_HTTP_PORT:-18671}"
[ "$(id -u)" = 0 ] || { echo "systemd-smoke: run as root" >&2; exit 2; }
[ -x "$release/workerpool" ] || { echo "systemd-smoke: $release is not a release (deploy-scripts/publish.sh linux-x64)" >&2; exit 2; }
[ -f "$release/deploy/update-agent.sh" ] || { echo "systemd-smoke: $release has no deploy/update-agent.sh: publish it again from this checkout" >&2; exit 2; }
command -v openssl >/dev/null || { echo "systemd-smoke: openssl is needed to sign step 4's release" >&2; exit 2; }
if ! command -v debootstrap >/dev/null || ! command -v systemd-nspawn >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap systemd-container >/dev/null
fi

step() { echo "== $*"; }
inside() { nsenter -t "$leader" -a "$@"; }
pass=0; fail=0
check() { if "$@"; then pass=$((pass + 1)); echo "   ok: ${*: -1}"; else fail=$((fail + 1)); echo "   FAILED: $*"; fi; }
is() { [ "$1" = "$2" ]; }
isnt() { [ "$1" != "$2" ]; }

if [ ! -x "$base/lib/systemd/systemd" ]; then
  step "debootstrap a minimal Debian 12 with systemd and Mosquitto into $base"
  mkdir -p "$work"
  # dbus-user-session and libpam-systemd: without them dpkg cannot configure dconf, which GTK pulls in. Step 4's
  # test tools: python3 (its http.server serves the second release) and mosquitto-clients (reads the software
  # topic). Not curl nor openssl: the device gets those from install.sh or not at all, and step 4 checks which.
  debootstrap --variant=minbase \
    --include=systemd,systemd-sysv,dbus,dbus-user-session,libpam-systemd,procps,mosquitto,mosquitto-clients,python3 \
    bookworm "$base" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1
  cp /etc/resolv.conf "$base/etc/resolv.conf"
fi
rm -rf "$os"
cp -a "$base" "$os"
cp -a "$release" "$os/root/release"
cp "$root/samples/vtest.avi" "$os/srv/vtest.avi"
cat >"$os/root/site.json" <<'JSON'
{
  "deviceId": "smoke-01",
  "model": { "manifest": "/opt/workerpool/current/models/yolox_nano.json" },
  "pool": { "workers": [ { "device": "cpu", "cores": [0] } ] },
  "counting": { "windowSeconds": 10 },
  "updates": { "enabled": true },
  "outbox": { "path": "/var/lib/workerpool/outbox.db" },
  "mqtt": { "host": "127.0.0.1", "port": 1883 },
  "cameras": [ { "id": "vtest", "url": "/srv/vtest.avi", "loop": true, "fps": 5,
    "lines": [ { "id": "mid", "from": [0.5, 0.0], "to": [0.5, 1.0] } ], "zones": [] } ]
}
JSON
# The broken release passes the config check, then crashes at every start.
cp -a "$release" "$os/root/broken"
echo "0.0.0+broken" >"$os/root/broken/VERSION"
mv "$os/root/broken/workerpool" "$os/root/broken/workerpool.real"
cat >"$os/root/broken/workerpool" <<'SH'
#!/bin/sh
if [ "$1" = run ]; then echo "broken release crashing" >&2; exit 1; fi
exec "$(dirname "$0")/workerpool.real" "$@"
SH
chmod +x "$os/root/broken/workerpool"
# Step 4's second release: the same build under a newer name, reporting that name (WORKERPOOL_TEST_VERSION, as the
# deploy tests' stand-in releases do), packed and described as publish.sh does and signed with a throwaway release
# key whose public half the device gets as /etc/workerpool/release-public.pem.
version="$(cat "$release/VERSION")"
next="$version.smoke2"
rid="$(cat "$release/RID" 2>/dev/null || echo linux-x64)"
archive="workerpool-$next-$rid.tar.gz"
cp -a "$release" "$os/root/next"
rm -f "$os/root/next/release.json" "$os/root/next/release.json.sig" "$os/root/next"/workerpool-*.tar.gz
echo "$next" >"$os/root/next/VERSION"
mv "$os/root/next/workerpool" "$os/root/next/workerpool.real"
cat >"$os/root/next/workerpool" <<SH
#!/bin/sh
export WORKERPOOL_TEST_VERSION='$next'
exec "\$(dirname "\$0")/workerpool.real" "\$@"
SH
chmod +x "$os/root/next/workerpool"
mkdir -p "$os/srv/releases"
tar -czf "$os/srv/releases/$archive" -C "$os/root/next" --owner=0 --group=0 --numeric-owner .
rm -rf "$os/root/next"
printf '{\n  "version": "%s",\n  "rid": "%s",\n  "archive": "%s",\n  "sha256": "%s",\n  "size": %s\n}\n' "$next" "$rid" \
  "$archive" "$(sha256sum "$os/srv/releases/$archive" | cut -d' ' -f1)" "$(stat -c %s "$os/srv/releases/$archive")" \
  >"$os/srv/releases/release.json"
openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out "$work/release-private.pem"
openssl pkey -in "$work/release-private.pem" -pubout -out "$os/root/release-public.pem"
openssl dgst -sha256 -sign "$work/release-private.pem" "$os/srv/releases/release.json" | base64 -w 0 \
  >"$os/srv/releases/release.json.sig"

step "boot it"
systemd-nspawn -D "$os" --boot --register=no --keep-unit --machine=workerpool-smoke --console=passive >"$work/nspawn.log" 2>&1 &
nspawn=$!
trap 'kill "$nspawn" 2>/dev/null || true' EXIT
# The container's init is nspawn's child named systemd (an intermediate child comes and goes first).
for _ in $(seq 1 60); do leader="$(pgrep -P "$nspawn" -x systemd | head -n 1 || true)"; [ -n "$leader" ] && break; sleep 1; done
[ -n "$leader" ] || { echo "systemd-smoke: the container did not boot ($work/nspawn.log)" >&2; exit 1; }
for _ in $(seq 1 60); do state="$(inside systemctl is-system-running 2>/dev/null || true)"; [ "$state" = running ] || [ "$state" = degraded ] && break; sleep 1; done

step "install.sh"
# The site config has no fleet key (the smoke sends no remote changes).
inside /root/release/deploy/install.sh --config /root/site.json --insecure --timeout 300
check is "$(inside systemctl show workerpool -p Type --value)" notify "Type=notify"
check is "$(inside systemctl show workerpool -p ActiveState --value)" active "service active"
check is "$(inside systemctl show workerpool -p StatusText --value)" healthy "status line: healthy"
check is "$(inside systemctl show workerpool -p User --value)" workerpool "runs as workerpool"
check is "$(inside stat -c %U /var/lib/workerpool/outbox.db)" workerpool "outbox owned by workerpool"
check is "$(inside readlink /opt/workerpool/current)" "releases/$version" "current -> $version"
check is "$(inside journalctl -u workerpool -p info -g 'First frame counted' -q --no-pager | wc -l)" 1 "journald priorities"

step "watchdog: freeze the service (SIGSTOP) and wait for systemd to restart it"
pid="$(inside systemctl show workerpool -p MainPID --value)"
inside kill -STOP "$pid"
for _ in $(seq 1 200); do [ "$(inside systemctl show workerpool -p NRestarts --value)" = 1 ] && break; sleep 1; done
check is "$(inside systemctl show workerpool -p NRestarts --value)" 1 "restarted once"
check is "$(inside journalctl -u workerpool -g 'Watchdog timeout' -q --no-pager | wc -l)" 1 "by the watchdog"
for _ in $(seq 1 60); do [ "$(inside systemctl show workerpool -p StatusText --value)" = healthy ] && break; sleep 1; done
check is "$(inside systemctl show workerpool -p StatusText --value)" healthy "healthy again after the restart"

step "update.sh to a release that crashes at every start"
set +e
inside /root/broken/deploy/update.sh --timeout 45
code=$?
set -e
check is "$code" 1 "update.sh exits 1"
check is "$(inside readlink /opt/workerpool/current)" "releases/$version" "rolled back to $version"
check is "$(inside systemctl show workerpool -p StatusText --value)" healthy "healthy after the rollback"

step "the root helper and the unprivileged service cooperate: a signed update, then a rollback, by request file"
wp_uid="$(inside id -u workerpool)"
wp_gid="$(inside id -g workerpool)"
spool=/var/lib/workerpool/update
unprivileged="$wp_uid 0000000000000000 0000000000000000 1"
: >"$work/privileged"
# "UID CapEff CapPrm NoNewPrivs" of process $1 in the container (UID: real, effective, saved and fs uid, when one).
privs() {
  # shellcheck disable=SC2016 # awk's fields
  inside awk '/^Uid:/ { u = ($2 == $3 && $3 == $4 && $4 == $5) ? $2 : $2 "/" $3 "/" $4 "/" $5 }
    /^CapEff:/ { e = $2 } /^CapPrm:/ { p = $2 } /^NoNewPrivs:/ { n = $2 } END { print u, e, p, n }' "/proc/$1/status"
}
main_pid() { inside systemctl show workerpool -p MainPID --value; }
# Every process in workerpool.service's cgroup (the main one and its FFmpeg children); unified or hybrid hierarchy.
service_pids() {
  local cg
  cg="$(inside systemctl show workerpool -p ControlGroup --value)"
  [ -n "$cg" ] || return 0
  inside cat "/sys/fs/cgroup$cg/cgroup.procs" 2>/dev/null || inside cat "/sys/fs/cgroup/systemd$cg/cgroup.procs" 2>/dev/null || true
}
# Records in $work/privileged every process of the service that is not unprivileged now. systemd's own child before
# it execs the service (named "(workerpool)", still root while it sets up the sandbox) is not the service.
sample_privileges() {
  local pid name p
  for pid in $(service_pids); do
    name="$(inside sed -n 's/^Name:\t//p' "/proc/$pid/status" 2>/dev/null)" || continue
    p="$(privs "$pid" 2>/dev/null)" || continue # gone meanwhile
    case "$name" in "("*) continue ;; esac
    if [ "$p" != "$unprivileged" ]; then echo "$(date -u +%T) pid $pid ($name): uid CapEff CapPrm NoNewPrivs = $p" >>"$work/privileged"; fi
  done
}
# True when every process of the service is unprivileged now (and there is one); $1 only labels the check.
all_unprivileged() {
  local before
  before="$(wc -l <"$work/privileged")"
  [ -n "$(service_pids)" ] || return 1
  sample_privileges
  [ "$(wc -l <"$work/privileged")" = "$before" ]
}
# Runs a command as the service's user in the service's own mount namespace: the file system as the service sees it.
as_service() { inside nsenter -t "$(main_pid)" -m -S "$wp_uid" -G "$wp_gid" -- "$@"; }
# True when the service cannot create file $1 (and it does not appear).
cannot_write() { ! as_service touch "$1" 2>/dev/null && inside test ! -e "$1"; }
can_write() { as_service touch "$1" && inside rm -f "$1"; }
# True when the workerpool user outside the service's sandbox may create file $1: the sandbox, not permissions,
# is what stops the service there.
user_can_write() { inside runuser -u workerpool -- touch "$1" && inside rm -f "$1"; }
# Writes the request on stdin as the service does: as its user, in its mount namespace, replaced with a rename.
request() { as_service sh -c "cat >$spool/.request.smoke && mv -f $spool/.request.smoke $spool/request"; }
# Waits up to $1 s for the helper to be done with the request for rollout $2 (state.json final for it), sampling
# the service's privileges every second meanwhile.
wait_final() {
  for _ in $(seq 1 "$1"); do
    sample_privileges
    if ! inside test -e "$spool/request" && [ "$(inside systemctl show workerpool-update -p ActiveState --value)" != activating ] \
        && inside grep -q "\"rollout\":\"$2\"" "$spool/state.json" 2>/dev/null \
        && inside grep -Eq '"state":"(healthy|rolled-back|refused|failed)"' "$spool/state.json"; then
      return 0
    fi
    sleep 1
  done
  echo "   (no final state for $2 after $1 s; state.json: $(inside cat "$spool/state.json" 2>/dev/null || echo none))"
  return 1
}
has() { inside sh -c "command -v $1" >/dev/null; }
state_has() { inside grep -qF "$1" "$spool/state.json"; }
# True once the retained software topic's field $1 is $2 (the service relays state.json every 2 s). Compared
# parsed: the service's JSON may escape characters state.json has plain ("+" as \u002B).
software_is() {
  local got=""
  for _ in $(seq 1 20); do
    got="$(inside timeout 5 mosquitto_sub -h 127.0.0.1 -t "workerpool/smoke-01/software" -C 1 -W 4 2>/dev/null || true)"
    if printf '%s' "$got" | inside python3 -c 'import json, sys; sys.exit(json.load(sys.stdin).get(sys.argv[1]) != sys.argv[2])' "$1" "$2" 2>/dev/null; then
      return 0
    fi
    sleep 1
  done
  echo "   (workerpool/smoke-01/software: ${got:-nothing retained})"
  return 1
}
# True when ProtectProc=invisible is in force, i.e. the service cannot see PID 1 in its /proc (while it does see its
# own main process, so nsenter did enter its namespace), and the unit is active all the same: the host sends READY=1
# whenever NOTIFY_SOCKET is set, without looking at PID 1 as AddSystemd() alone would.
hides_pid1_yet_active() {
  local state
  as_service test -e "/proc/$(main_pid)/status" || { echo "   (the service's own /proc entry is not visible: nsenter failed?)"; return 1; }
  if as_service test -e /proc/1/comm; then echo "   (the service sees PID 1: $(as_service cat /proc/1/comm 2>&1))"; return 1; fi
  state="$(inside systemctl show workerpool -p ActiveState --value)"
  [ "$state" = active ] || { echo "   (workerpool.service is $state, not active)"; return 1; }
}

check is "$(inside systemctl is-enabled workerpool-update.path)" enabled "workerpool-update.path enabled by install.sh"
check is "$(inside systemctl show workerpool-update.path -p ActiveState --value)" active "workerpool-update.path active (watching $spool/request)"
check is "$(inside stat -c %U:%a "$spool")" workerpool:750 "$spool is the service's (workerpool, 0750)"
check is "$(inside systemctl show workerpool-update -p InvocationID --value)" "" "workerpool-update.service has not run yet"
pid="$(main_pid)"
check is "$(privs "$pid")" "$unprivileged" "service (pid $pid) before: uid $wp_uid, CapEff and CapPrm 0, NoNewPrivs 1"
check all_unprivileged "every process of the service unprivileged before"
check can_write /var/lib/workerpool/.smoke-probe "the service writes its data directory"
check cannot_write /etc/workerpool/x "the service cannot write /etc/workerpool"
check cannot_write /opt/workerpool/x "the service cannot write /opt/workerpool"
check cannot_write /etc/systemd/system/x.service "the service cannot write /etc/systemd/system"
check user_can_write /run/lock/smoke-probe "the workerpool user may write /run/lock (mode 1777) outside the sandbox"
check cannot_write /run/lock/smoke-probe "the service cannot write /run/lock"
check user_can_write /dev/shm/smoke-probe "the workerpool user may write /dev/shm (mode 1777) outside the sandbox"
check cannot_write /dev/shm/smoke-probe "the service cannot write /dev/shm"
check is "$(inside systemctl show workerpool -p ProtectProc --value)" invisible "the unit has ProtectProc=invisible"
check hides_pid1_yet_active "the service does not see PID 1 in /proc, and the unit is active all the same (READY=1 sent)"
check has curl "curl on the device after install.sh (update-agent.sh downloads with it)"
check has openssl "openssl on the device after install.sh (update-agent.sh verifies manifests with it)"
# A base made by an earlier version of this script lacks step 4's test tools.
if ! inside sh -c 'command -v mosquitto_sub && python3 -c "import http.server"' >/dev/null 2>&1; then
  echo "   (installing the test tools python3 and mosquitto-clients in the container)"
  inside env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 mosquitto-clients >/dev/null
fi
inside install -m 0640 -g workerpool /root/release-public.pem /etc/workerpool/release-public.pem
inside systemd-run -q --unit=workerpool-smoke-http -p DynamicUser=yes \
  python3 -m http.server "$port" --bind 127.0.0.1 --directory /srv/releases
for _ in $(seq 1 20); do inside timeout 5 python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/release.json')" 2>/dev/null && break; sleep 1; done

echo "   update to $next, as a rollout would hand it to the service"
request <<REQ
action=update
rollout=smoke-update-1
version=$next
url=http://127.0.0.1:$port/$archive
manifest=$(base64 -w 0 "$os/srv/releases/release.json")
signature=$(cat "$os/srv/releases/release.json.sig")
REQ
check wait_final 600 smoke-update-1 "the helper finished the update request"
inside journalctl -u workerpool-update -q --no-pager -o cat | tail -n 8 | sed 's/^/   | /'
first_run="$(inside systemctl show workerpool-update -p InvocationID --value)"
check isnt "$first_run" "" "workerpool-update.service ran"
check is "$(inside systemctl show workerpool-update -p Result --value)" success "workerpool-update.service succeeded"
check is "$(inside systemctl show workerpool-update -p User --value)" "" "workerpool-update.service has no User= (root)"
check is "$(inside stat -c %U "$spool/state.json")" root "state.json written by root (the helper)"
check is "$(inside stat -c %U "/opt/workerpool/releases/$next")" root "release $next installed by root"
check state_has '"state":"healthy"' "state.json: healthy"
check state_has "\"version\":\"$next\"" "state.json: version $next"
check state_has "\"running\":\"$next\"" "state.json: running $next"
check is "$(inside readlink /opt/workerpool/current)" "releases/$next" "current -> $next"
check is "$(inside systemctl show workerpool -p StatusText --value)" healthy "service healthy on $next"
check software_is state healthy "workerpool/smoke-01/software (retained): healthy"
check software_is running "$next" "workerpool/smoke-01/software (retained): running $next"
after="$(main_pid)"
check isnt "$after" "$pid" "the service restarted (pid $pid -> $after)"
check is "$(privs "$after")" "$unprivileged" "service (pid $after) after the update: uid $wp_uid, CapEff and CapPrm 0, NoNewPrivs 1"
check all_unprivileged "every process of the service unprivileged after the update"

echo "   rollback, as the rollback command would ask it"
request <<REQ
action=rollback
rollout=smoke-rollback-1
REQ
check wait_final 600 smoke-rollback-1 "the helper finished the rollback request"
inside journalctl -u workerpool-update -q --no-pager -o cat | tail -n 4 | sed 's/^/   | /'
check isnt "$(inside systemctl show workerpool-update -p InvocationID --value)" "$first_run" "workerpool-update.service ran again"
check is "$(inside systemctl show workerpool-update -p Result --value)" success "workerpool-update.service succeeded"
check is "$(inside stat -c %U "$spool/state.json")" root "state.json written by root (the helper)"
check state_has '"state":"rolled-back"' "state.json: rolled-back"
check state_has "\"version\":\"$next\"" "state.json: from $next"
check state_has "\"running\":\"$version\"" "state.json: running $version"
check is "$(inside readlink /opt/workerpool/current)" "releases/$version" "current -> $version"
check is "$(inside systemctl show workerpool -p StatusText --value)" healthy "service healthy on $version"
check software_is state rolled-back "workerpool/smoke-01/software (retained): rolled-back"
check software_is running "$version" "workerpool/smoke-01/software (retained): running $version"
pid="$(main_pid)"
check is "$(privs "$pid")" "$unprivileged" "service (pid $pid) after the rollback: uid $wp_uid, CapEff and CapPrm 0, NoNewPrivs 1"
check all_unprivileged "every process of the service unprivileged after the rollback"
check cannot_write /etc/workerpool/x "the service still cannot write /etc/workerpool"
check is "$(wc -l <"$work/privileged")" 0 "no privileged process of the service in any sample (every second, throughout)"
sed 's/^/   privileged: /' "$work/privileged"
inside systemctl stop workerpool-smoke-http 2>/dev/null || true

echo "systemd-smoke: $pass passed, $fail failed"
[ "$fail" = 0 ]
