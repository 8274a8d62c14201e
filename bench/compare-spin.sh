#!/usr/bin/env bash
# Side-by-side throughput comparison of faultline and SPIN on the benchmark
# model postcopy(V, P) (shared/bench/postcopy-model.md; our copy of the
# Promela twin is bench/postcopy.pml, our scenario scenarios/bench/postcopy.fl).
#
# Usage: bench/compare-spin.sh [V,P ...]      (default: 2,4 3,6 4,7)
# Environment: FL_BIN (default build/faultline), FL_BENCH_THREADS (default 1).
# Needs: the faultline executable (make build), spin and gcc (scripts/install-deps).
# Times are each tool's own wall-clock search time (pan's "elapsed time",
# faultline's "seconds"), the tools run one after the other.
# Prints, per size: states (must be equal), seconds, states/s, bytes/state of
# both tools and the ratios; exits 1 if the state counts differ.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
((${#sizes[@]})) || sizes=(2,4 3,6 4,7)
threads=${FL_BENCH_THREADS:-1}
fl_bin=${FL_BIN:-build/faultline}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

printf '%-8s %12s %12s %9s %9s %12s %12s %8s %8s %7s\n' size spin_states fl_states spin_s fl_s \
  spin_st/s fl_st/s spin_B/st fl_B/st speedup
for vp in "${sizes[@]}"; do
  V=${vp%,*}
  P=${vp#*,}
  (cd "$work" && cp "$OLDPWD/bench/postcopy.pml" . &&
    spin -DV="$V" -DP="$P" -DWAKE_PREFETCH=1 -a postcopy.pml >/dev/null &&
    gcc -O2 -DSAFETY -DNOREDUCE -DMEMLIM=20000 -o pan pan.c 2>/dev/null)
  # The settings of shared/bench/postcopy-model.md.  A larger -w or -m
  # only makes pan allocate (and clear) more memory up front.
  spin_out=$(cd "$work" && ./pan -m100000 -w24 2>&1)
  spin_states=$(sed -n 's/^ *\([0-9e.+]*\) states, stored.*/\1/p' <<<"$spin_out" | head -1)
  spin_states=$(printf '%.0f' "$spin_states")
  spin_mem=$(sed -n 's/^ *\([0-9.]*\)[[:space:]]*total actual memory usage.*/\1/p' <<<"$spin_out" | head -1)
  # Both tools' own search time (pan: "elapsed time"; faultline: "seconds").
  spin_s=$(sed -n 's/^pan: elapsed time \([0-9.e+]*\) seconds.*/\1/p' <<<"$spin_out" | head -1)
  fl_json=$("$fl_bin" check --json --no-reduction --threads "$threads" \
    --param V="$V" --param P="$P" scenarios/bench/postcopy.fl)
  read -r fl_states fl_s fl_mem < <(python3 -c 'import json,sys;r=json.load(sys.stdin)["results"][0];print(r["states"], r["seconds"], r["peak_memory_bytes"])' <<<"$fl_json")
  python3 - "$vp" "$spin_states" "$fl_states" "$spin_s" "$fl_s" "${spin_mem:-0}" "$fl_mem" <<'PY'
import sys
vp, ss, fs, st, ft, smem, fmem = sys.argv[1:]
ss, fs, st, ft, smem, fmem = int(ss), int(fs), float(st), float(ft), float(smem), float(fmem)
# Below 10 ms a rate means nothing (pan reports 0 s for tiny models).
timed = st >= 0.01 and ft >= 0.01
srate, frate = ss / max(st, 1e-9), fs / max(ft, 1e-9)
ratio = f"{frate/srate:>6.2f}x" if timed else "    n/a"
print(f"{vp:<8} {ss:>12} {fs:>12} {st:>9.2f} {ft:>9.2f} {srate:>12.0f} {frate:>12.0f} "
      f"{smem*1048576/max(ss,1):>8.1f} {fmem/max(fs,1):>8.1f} {ratio}")
PY
  if [[ "$spin_states" != "$fl_states" ]]; then
    echo "MISMATCH at $vp: SPIN $spin_states states, faultline $fl_states" >&2
    status=1
  fi
done
exit $status
