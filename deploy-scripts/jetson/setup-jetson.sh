#!/usr/bin/env bash
# Points an installed WorkerPool at the Jetson's native libraries: JetPack's GPU build of ONNX Runtime and an
# OpenCvSharp extern built against the board's OpenCV (see the two build scripts beside this one), by setting them
# in /etc/workerpool/workerpool.env (kept across updates). Then asks the release which providers it now has.
# Usage: setup-jetson.sh [--root DIR] [--onnxruntime PATH] [--opencvsharp-extern PATH] [--no-restart]
# Idempotent: each variable is set once, replacing an earlier value or its commented-out example.
set -euo pipefail
root=""
ort=""
extern=""
restart=1
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="${2%/}"; shift 2 ;;
    --onnxruntime) ort="$2"; shift 2 ;;
    --opencvsharp-extern) extern="$2"; shift 2 ;;
    --no-restart) restart=0; shift ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "setup-jetson: unknown argument $1" >&2; exit 2 ;;
  esac
done
env_file="$root/etc/workerpool/workerpool.env"
[ -f "$env_file" ] || { echo "setup-jetson: $env_file is missing: run install.sh first" >&2; exit 1; }
for f in "$ort" "$extern"; do
  if [ -n "$f" ] && [ ! -f "$root$f" ]; then echo "setup-jetson: $root$f does not exist" >&2; exit 1; fi
done

set_env() {
  local key="$1" value="$2"
  if grep -q "^$key=" "$env_file"; then sed -i "s|^$key=.*|$key=$value|" "$env_file"
  elif grep -q "^#$key=" "$env_file"; then sed -i "0,/^#$key=.*/s||$key=$value|" "$env_file"
  else echo "$key=$value" >>"$env_file"
  fi
  echo "setup-jetson: $key=$value" >&2
}
[ -n "$ort" ] && set_env WORKERPOOL_ONNXRUNTIME "$ort"
[ -n "$extern" ] && set_env WORKERPOOL_OPENCVSHARP_EXTERN "$extern"
if [ -n "$ort" ]; then
  # The CUDA and TensorRT providers load libcudart, libcublas, libcudnn and libnvinfer from JetPack's directories.
  set_env LD_LIBRARY_PATH "$(dirname "$ort"):/usr/local/cuda/lib64:/usr/lib/aarch64-linux-gnu/tegra"
fi

[ -n "$root" ] && exit 0 # a test root has no release to ask and no service to restart
binary=/opt/workerpool/current/workerpool
if [ -x "$binary" ]; then
  # Same environment as the service gets.
  set -a
  # shellcheck disable=SC1090
  . "$env_file"
  set +a
  "$binary" check --config /etc/workerpool/config.json || echo "setup-jetson: the release does not accept this setup yet (above)" >&2
fi
if [ "$restart" = 1 ] && systemctl is-enabled --quiet workerpool 2>/dev/null; then
  systemctl restart workerpool
  echo "setup-jetson: restarted workerpool; journalctl -u workerpool shows which device each worker runs on" >&2
fi
