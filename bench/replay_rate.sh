#!/bin/sh
# Replays per second on the running kernel (docs/kernel-shim.md): times `faultline replay
# --runs N` on a userfaultfd-only scenario that never blocks (sigbus-feature) and on one whose
# thread blocks in handle_userfault and is served by a monitor (poison-first-access).  Each run
# is a full replay: a forked child builds the memory and the userfaultfd context, runs the
# threads in the natural order and reports.  The issue's aim is >= 1000/s for the first.
#   usage: bench/replay_rate.sh [BUILD_DIR] [RUNS]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
runs=${2:-3000}
for name in sigbus-feature poison-first-access; do
  start=$(date +%s.%N)
  "$build/faultline" replay "$here/scenarios/mm/$name.fl" --runs "$runs" > /dev/null
  end=$(date +%s.%N)
  echo "$name: $runs replays in $(echo "$end - $start" | bc) s = $(echo "$runs / ($end - $start)" | bc) replays/s"
done
