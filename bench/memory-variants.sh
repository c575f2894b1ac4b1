#!/usr/bin/env bash
# RSS of the published binary under memory settings given as environment variables, one run per variant:
# 2 cameras (the sample looping at 5 fps, and an RTSP camera from the loopback GStreamer server at 5 fps), the
# demo's 2 pinned workers, a local Mosquitto; VmRSS, threads and fds every 30 s. No faults (see `bench soak`).
# Usage: bench/memory-variants.sh MINUTES 'NAME VAR=VALUE ...' ['NAME VAR=VALUE ...' ...]
#   e.g. bench/memory-variants.sh 8 'default MALLOC_ARENA_MAX=16 DOTNET_TieredPGO=1 DOTNET_GCgen0size=0' 'release'
# Prints one line per variant: NAME then the RSS samples in MiB. Needs artifacts/linux-x64 (deploy-scripts/publish.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
minutes="$1"; shift
bin="${BIN:-$root/artifacts/linux-x64/workerpool}"
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
for variant in "$@"; do
  read -r name envs <<<"$variant"
  dir="$(mktemp -d "${TMPDIR:-/tmp}/workerpool-mem-$name.XXXXXX")"
  port="$(free_port)"; rport="$(free_port)"
  printf 'listener %s 127.0.0.1\nallow_anonymous true\nuser %s\n' "$port" "$(id -un)" >"$dir/mosquitto.conf"
  mosquitto -c "$dir/mosquitto.conf" >/dev/null 2>&1 & mpid=$!
  python3 "$root/tests/WorkerPool.IntegrationTests/Cameras/rtsp_server.py" "$rport" "$root/samples/vtest.avi" >/dev/null 2>&1 & rpid=$!
  sleep 3
  python3 - "$root" "$dir" "$port" "$rport" <<'PY'
import json, re, sys
root, d, port, rport = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
c = json.loads(re.sub(r'^\s*//.*$', '', open(root + '/device-config/demo.json').read(), flags=re.M))
c['model']['manifest'] = root + '/models/yolox_nano.json'
c['outbox']['path'] = d + '/data/outbox.db'
c['mqtt']['port'] = port
cam = c['cameras'][0]; cam['url'] = root + '/samples/vtest.avi'; cam['fps'] = 5
rtsp = json.loads(json.dumps(cam)); rtsp['id'] = 'rtsp'; rtsp['url'] = f'rtsp://127.0.0.1:{rport}/test'; rtsp.pop('loop', None)
c['cameras'].append(rtsp)
json.dump(c, open(d + '/config.json', 'w'))
PY
  # shellcheck disable=SC2086 # the variant's assignments are separate words on purpose
  env $envs "$bin" run --config "$dir/config.json" >"$dir/service.log" 2>&1 & pid=$!
  samples=""
  for ((i = 1; i <= minutes * 2; i++)); do
    sleep 30
    kill -0 "$pid" 2>/dev/null || { samples+=" (exited)"; break; }
    samples+=" $(( $(awk '/VmRSS/{print $2}' "/proc/$pid/status") / 1024 ))"
  done
  echo "$name:$samples"
  kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  kill "$mpid" "$rpid" 2>/dev/null || true; wait 2>/dev/null || true
  rm -rf "$dir"
done
