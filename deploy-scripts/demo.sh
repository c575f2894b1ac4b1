#!/usr/bin/env bash
# The demo: the PETS 2009 sample played as a live, looping camera, counted end to end into a local Mosquitto
# broker (its own config and data dir under .data/demo, on 127.0.0.1:18883). Count records and heartbeats are
# shown as they arrive, with mosquitto_sub. The fleet side runs beside it: a PostgreSQL cluster of its own
# (.data/demo/postgres, 127.0.0.1:15432), workerpool-fleet ingest, and the dashboard (serve) on 127.0.0.1:18080,
# whose URL is printed. Installs what is missing first. Ctrl-C stops everything (the open window is closed and
# published) and prints the completeness report; DEMO_SECONDS=N stops after N seconds. Logs are in .data/demo/.
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

# The fleet database: one cluster for the demo, made once, run as an unprivileged user (postgres when we are root).
pgbin="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
pgport=15432
as_db_user=()
if [ "$(id -u)" = 0 ]; then as_db_user=(setpriv --reuid postgres --regid postgres --clear-groups --); fi
mkdir -p "$data/postgres" "$data/pgsock"
[ "$(id -u)" = 0 ] && chown postgres "$data/postgres" "$data/pgsock"
if [ ! -f "$data/postgres/PG_VERSION" ]; then
  "${as_db_user[@]}" "$pgbin/initdb" -D "$data/postgres" -U fleet --auth=trust -E UTF8 --no-instructions >/dev/null
fi
db="Host=127.0.0.1;Port=$pgport;Username=fleet;Database=fleet"
token_file="$data/dashboard.token"
[ -s "$token_file" ] || openssl rand -hex 16 > "$token_file"

pids=()
cleanup() {
  # The service first (it publishes its last window and its offline status), then the fleet side (the report last,
  # once the ingest stored everything), the watchers and the broker.
  [ -n "${service:-}" ] && kill -TERM "$service" 2>/dev/null && wait "$service" 2>/dev/null
  if [ -n "${ingest:-}" ]; then
    sleep 2
    echo "demo: completeness report (workerpool-fleet report):" >&2
    deploy-scripts/workerpool-fleet report --database "$db" 2>>"$data/fleet.log" | head -n -1 >&2 || true
    kill -TERM "$ingest" 2>/dev/null && wait "$ingest" 2>/dev/null
  fi
  [ -n "${serve:-}" ] && kill -TERM "$serve" 2>/dev/null && wait "$serve" 2>/dev/null
  [ -n "${postgres:-}" ] && kill -INT "$postgres" 2>/dev/null && wait "$postgres" 2>/dev/null
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

mosquitto -c "$data/mosquitto/mosquitto.conf" & pids+=($!)
for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
"${as_db_user[@]}" "$pgbin/postgres" -D "$data/postgres" -p "$pgport" -k "$data/pgsock" -c listen_addresses=127.0.0.1 \
  >"$data/postgres.log" 2>&1 &
postgres=$!
for _ in $(seq 1 100); do "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$pgport" && break; sleep 0.1; done
"$pgbin/psql" -q -h 127.0.0.1 -p "$pgport" -U fleet -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'fleet'" | grep -q 1 \
  || "$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U fleet fleet
deploy-scripts/workerpool-fleet ingest --broker "127.0.0.1:$port" --database "$db" --client-id demo-ingest 2>>"$data/fleet.log" &
ingest=$!
deploy-scripts/workerpool-fleet serve --database "$db" --listen 127.0.0.1:18080 --token-file "$token_file" 2>>"$data/fleet.log" &
serve=$!
for _ in $(seq 1 600); do grep -q "Ingest demo-ingest connected" "$data/fleet.log" 2>/dev/null && break; sleep 0.2; done
echo "demo: broker on 127.0.0.1:$port; counting samples/vtest.avi with $config; windows close every 10 s" >&2
echo "demo: fleet dashboard at http://127.0.0.1:18080/?token=$(cat "$token_file") (database $db)" >&2
mosquitto_sub -h 127.0.0.1 -p "$port" -v -t 'workerpool/+/status' -t 'workerpool/+/counts/#' -t 'workerpool/+/heartbeat' & pids+=($!)

deploy-scripts/workerpool run --config "$config" 2> "$data/service.log" &
service=$!
if [ -n "${DEMO_SECONDS:-}" ]; then
  sleep "$DEMO_SECONDS"
else
  wait "$service"
fi
