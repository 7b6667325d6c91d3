#!/bin/bash
# Times the project's training with Rasa's own launcher and with scripts/train_with_speedups.py
# (which `make train` and `make bench` use), alternating, each with an empty training cache,
# and prints every run, the medians and their ratio. Usage: benchmarks/training_launchers.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
export RASA_TELEMETRY_ENABLED=false
results=$(mktemp)
for i in $(seq "$runs"); do
  for launcher in rasa scripts.train_with_speedups; do
    work=$(mktemp -d)
    mkdir "$work/cache"
    args=(--config config.yml --domain domain --data data --out "$work/out")
    [ "$launcher" = rasa ] && args=(train "${args[@]}")
    start=$(date +%s.%N)
    RASA_CACHE_DIRECTORY="$work/cache" .venv/bin/python -m "$launcher" "${args[@]}" > "$work/log" 2>&1 \
      || { echo "training with $launcher failed:"; tail -5 "$work/log"; exit 1; }
    seconds=$(echo "$(date +%s.%N) - $start" | bc)
    echo "run $i/$runs  $launcher  ${seconds} s" | tee -a "$results"
    rm -rf "$work"
  done
done
.venv/bin/python - "$results" <<'PY'
import statistics, sys
times = {}
for line in open(sys.argv[1]):
    parts = line.split()
    times.setdefault(parts[2], []).append(float(parts[3]))
rasa, fixed = (statistics.median(times[k]) for k in ("rasa", "scripts.train_with_speedups"))
print(f"median: rasa train {rasa:.1f} s, train_with_speedups {fixed:.1f} s, ratio {fixed / rasa:.2f}")
PY
rm -f "$results"
