#!/usr/bin/env bash
# The demo: the PETS 2009 sample played as a live, looping camera, counted end to end; every closed count window
# is printed as it closes. Installs what is missing first. Stop with Ctrl-C (the open window is closed and
# printed). DEMO_SECONDS=N stops it after N seconds.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
deploy-scripts/install-deps.sh runtime
deploy-scripts/fetch-model.sh
deploy-scripts/fetch-sample.sh
config="${DEMO_CONFIG:-device-config/demo.json}"
echo "demo: counting samples/vtest.avi with $config; windows close every 10 s" >&2
if [ -n "${DEMO_SECONDS:-}" ]; then
  timeout --signal=TERM "$DEMO_SECONDS" deploy-scripts/workerpool run --config "$config" || [ $? = 124 ]
else
  exec deploy-scripts/workerpool run --config "$config"
fi
