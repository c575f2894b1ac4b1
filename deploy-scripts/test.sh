#!/usr/bin/env bash
# Runs every test (unit and integration, with the real model, video, FFmpeg and RTSP server), installing what is
# missing first. Prints the totals as its last line: "N passed, N failed, N skipped". Exit status 0 only when
# nothing failed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
deploy-scripts/install-deps.sh test
deploy-scripts/fetch-model.sh
deploy-scripts/fetch-sample.sh

results="$root/TestResults"
rm -rf "$results"
mkdir -p "$results"
dotnet build WorkerPool.sln -c Release -nologo -v q -clp:ErrorsOnly
# The integration tests start the host through deploy-scripts/workerpool, which reuses this Release build.
# Tests that load ONNX Runtime in-process: no telemetry uploader (the host turns it off itself).
export ORT_DISABLE_TELEMETRY=1
status=0
for project in tests/WorkerPool.Tests tests/WorkerPool.IntegrationTests; do
  name="$(basename "$project")"
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
    --results-directory "$results" || status=1
done

passed=0; failed=0; skipped=0; found=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  found=1
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
  get() { local v; v="$(echo "$counters" | sed -n "s/.* $1=\"\\([0-9]*\\)\".*/\\1/p")"; echo "${v:-0}"; }
  total=$(get total); executed=$(get executed); p=$(get passed); f=$(get failed)
  passed=$((passed + p))
  failed=$((failed + f + $(get error) + $(get timeout) + $(get aborted)))
  skipped=$((skipped + total - executed))
done
# Name what failed just above the totals, so a CI log's tail says which test it was.
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  grep -o '<UnitTestResult [^>]*outcome="\(Failed\|Error\|Timeout\|Aborted\)"' "$trx" \
    | sed -n 's/.* testName="\([^"]*\)".*/FAILED: \1/p' || true
done
[ "$found" = 1 ] || { echo "test.sh: no test results were written" >&2; status=1; }
[ "$failed" = 0 ] || status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
