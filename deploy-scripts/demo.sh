#!/usr/bin/env bash
# The demo: the PETS 2009 sample played as a live, looping camera, counted end to end into a local Mosquitto
# broker (its own config and data dir under .data/demo, on 127.0.0.1:18883). Count records and heartbeats are
# shown as they arrive, with mosquitto_sub. Installs what is missing first. Ctrl-C stops everything (the open
# window is closed and published); DEMO_SECONDS=N stops after N seconds. The service log is .data/demo/service.log.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
deploy-scripts/install-deps.sh demo
deploy-scripts/fetch-model.sh
deploy-scripts/fetch-sample.sh

config="${DEMO_CONFIG:-device-config/demo.json}"
port=18883
data="$root/.data/demo"
mkdir -p "$data/mosquitto"
cat > "$data/mosquitto/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
user $(id -un)
persistence true
persistence_location $data/mosquitto/
log_dest file $data/mosquitto/mosquitto.log
CONF

pids=()
cleanup() {
  # The service first (it publishes its last window and its offline status), then the watchers and the broker.
  [ -n "${service:-}" ] && kill -TERM "$service" 2>/dev/null && wait "$service" 2>/dev/null
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

mosquitto -c "$data/mosquitto/mosquitto.conf" & pids+=($!)
for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
echo "demo: broker on 127.0.0.1:$port; counting samples/vtest.avi with $config; windows close every 10 s" >&2
mosquitto_sub -h 127.0.0.1 -p "$port" -v -t 'workerpool/+/status' -t 'workerpool/+/counts/#' -t 'workerpool/+/heartbeat' & pids+=($!)

deploy-scripts/workerpool run --config "$config" 2> "$data/service.log" &
service=$!
if [ -n "${DEMO_SECONDS:-}" ]; then
  sleep "$DEMO_SECONDS"
else
  wait "$service"
fi
