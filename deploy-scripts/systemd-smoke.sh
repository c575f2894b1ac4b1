#!/usr/bin/env bash
# On-demand check of a release under a real systemd (never in CI: it needs root, a Debian mirror and a few
# minutes): boots a minimal Debian 12 in systemd-nspawn, installs the release with install.sh, and checks
#   1. Type=notify start, the watchdog pings and the health status line, journald priorities;
#   2. the watchdog restarting a frozen service (SIGSTOP);
#   3. update.sh rolling back a release that crashes at every start.
# Usage: sudo deploy-scripts/systemd-smoke.sh [artifacts/linux-x64]     (results: docs/SYSTEMD-SMOKE.md)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
release="$(cd "${1:-$root/artifacts/linux-x64}" && pwd)"
work="${WORK_DIR:-/var/tmp/workerpool-smoke}"
os="$work/root"
[ "$(id -u)" = 0 ] || { echo "systemd-smoke: run as root" >&2; exit 2; }
[ -x "$release/workerpool" ] || { echo "systemd-smoke: $release is not a release (deploy-scripts/publish.sh linux-x64)" >&2; exit 2; }
if ! command -v debootstrap >/dev/null || ! command -v systemd-nspawn >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap systemd-container >/dev/null
fi

step() { echo "== $*"; }
inside() { nsenter -t "$leader" -a "$@"; }
pass=0; fail=0
check() { if "$@"; then pass=$((pass + 1)); echo "   ok: ${*: -1}"; else fail=$((fail + 1)); echo "   FAILED: $*"; fi; }
is() { [ "$1" = "$2" ]; }

if [ ! -x "$os/lib/systemd/systemd" ]; then
  step "debootstrap a minimal Debian 12 with systemd and Mosquitto into $os"
  mkdir -p "$work"
  # dbus-user-session and libpam-systemd: without them dpkg cannot configure dconf, which GTK pulls in.
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,dbus-user-session,libpam-systemd,procps,mosquitto \
    bookworm "$os" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1
  cp /etc/resolv.conf "$os/etc/resolv.conf"
fi
rm -rf "$os/root/release" "$os/root/broken"
cp -a "$release" "$os/root/release"
cp "$root/samples/vtest.avi" "$os/srv/vtest.avi"
cat >"$os/root/site.json" <<'JSON'
{
  "deviceId": "smoke-01",
  "model": { "manifest": "/opt/workerpool/current/models/yolox_nano.json" },
  "pool": { "workers": [ { "device": "cpu", "cores": [0] } ] },
  "counting": { "windowSeconds": 10 },
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
version="$(cat "$release/VERSION")"
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

echo "systemd-smoke: $pass passed, $fail failed"
[ "$fail" = 0 ]
