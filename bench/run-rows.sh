#!/usr/bin/env bash
# The row-count axis: one training step of the same model (MLP 784-256-128-10, batch 64, clipping, Adam) through
# the Trainer, as the training set grows. Rounds alternate the row counts, so each round's ratios to its own
# smallest set are measured within the same minutes on a noisy machine.
#
#   bench/run-rows.sh [ROUNDS] [ROWS ...]       default: 3 rounds of 1000 10000 100000 1000000
#
# Environment: THREADS (default 1), WARMUP and STEPS (per run; defaults 300 and 400), HEAP (default 5g: the
# million-row set alone is 3.1 GB of features). RESULT lines go to bench/results/rows-<time>.txt, then a
# table of the median and first quartile of the step per row count, and their ratios to the first row count
# of the same round (the first quartile is the steady state with the fewest interruptions by other processes).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
. "$here/.mvn/find-jdk.sh"
rounds="${1:-3}"
shift || true
rows=("$@")
[ ${#rows[@]} -eq 0 ] && rows=(1000 10000 100000 1000000)
threads="${THREADS:-1}"
warmup="${WARMUP:-300}"
steps="${STEPS:-400}"
(cd "$here" && ./mvnw -q -o -B -DskipTests -pl bench -am package) >&2
# the launcher's collector settings (./gradscale), so that the steps are timed as a user's run has them
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -XX:+UseParallelGC -Xmn256m "-Xmx${HEAP:-5g}"
      -cp "$here/bench/target/benchmarks.jar" io.gradscale.bench.RowsHarness)
mkdir -p "$here/bench/results"
out="$here/bench/results/rows-$(date +%Y%m%d-%H%M%S).txt"
{
  echo "# $(date -Is) $(uname -srm)"
  echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(nproc) cores"
  echo "# load before: $(uptime)"
} > "$out"
for ((r = 1; r <= rounds; r++)); do
  for n in "${rows[@]}"; do
    line=$("${java[@]}" "$n" "$threads" "$warmup" "$steps" 2>/dev/null)
    echo "round=$r $line" | tee -a "$out" >&2
  done
done
echo "# load after: $(uptime)" >> "$out"
echo "Raw results: $out" >&2
python3 - "$out" <<'PY'
import re, statistics, sys
rounds = {}
for line in open(sys.argv[1]):
    m = re.search(r"round=(\d+) .*workload=rows-(\d+) .*median_ms=([0-9.]+) q1_ms=([0-9.]+)", line)
    if m:
        rounds.setdefault(int(m.group(1)), []).append((int(m.group(2)), float(m.group(3)), float(m.group(4))))
rows = [r[0] for r in next(iter(rounds.values()))]
print("| rows | median step, ms (per round) | first quartile, ms (per round) | ratio of medians to %d rows | ratio of first quartiles |" % rows[0])
print("|---|---|---|---|---|")
for i, n in enumerate(rows):
    ms = [rs[i][1] for rs in rounds.values() if len(rs) > i]
    q1 = [rs[i][2] for rs in rounds.values() if len(rs) > i]
    ratios = [rs[i][1] / rs[0][1] for rs in rounds.values() if len(rs) > i]
    q1ratios = [rs[i][2] / rs[0][2] for rs in rounds.values() if len(rs) > i]
    print("| %d | %s | %s | %.2f | %.2f |" % (n, ", ".join("%.3f" % x for x in ms), ", ".join("%.3f" % x for x in q1),
                                            statistics.median(ratios), statistics.median(q1ratios)))
PY
