#!/usr/bin/env bash
# Two threads against one, before and after a change, in one session: for each workload and round, the step harness
# of the build BEFORE_REV and the one of this tree, each on 1 and on 2 threads in separate JVMs (as run-steps.sh runs
# them), alternated, so that all four numbers of a round come from the same minutes. Prints one table: median of the
# rounds' median step times per build and thread count, and the two-thread speed-up (1-thread / 2-thread time) per
# round, median and range.
#
#   bench/run-threads-ab.sh BEFORE_REV [ROUNDS] [WORKLOAD ...]
#
# Default: 3 rounds of deep-mlp, lstm, gru and mlp-sgd, about 8 s per run, 7 minutes in all (the builds run at
# nice 15; run the script itself at a high priority, e.g. nice -n -10, on a machine others share).
#
# Environment: WARMUP (default 30; the harness warms up for at least 5 s anyway) and STEPS (default 200).
# This VM's speed drifts by up to 1.7x from one second to the next (a pure Python loop: 240 or 400 ms), which moves
# a single run's time more than most changes do: read the speed-ups per round, and use several rounds.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
. "$here/.mvn/find-jdk.sh"
default_workloads="deep-mlp lstm gru mlp-sgd"
# shellcheck source=bench/before-and-after.sh
. "$here/bench/before-and-after.sh"
warmup="${WARMUP:-30}"
steps="${STEPS:-200}"

out="$tmp/results.txt"
echo "# $(date -Is), before: $(git -C "$here" rev-parse --short "$before_rev"), after: $(git -C "$here" rev-parse --short HEAD) + work tree; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for w in "${workloads[@]}"; do
  for ((r = 1; r <= rounds; r++)); do
    for build in before after; do
      for t in 1 2; do
        echo "round=$r build=$build $(harness "$tmp/$build.jar" "$w" "$t")" | tee -a "$out" >&2
      done
    done
  done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$out" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    f = dict(re.findall(r'(\w+)=(\S+)', line))
    if 'median_ms' not in f:
        continue
    runs.setdefault((f['workload'], f['build']), {}).setdefault(f['round'], {})[f['threads']] = float(f['median_ms'])
print()
print('| workload | build | 1 thread ms | 2 threads ms | speed-up, median of rounds | per round |')
print('|---|---|---|---|---|---|')
for (w, b), rs in runs.items():
    one = [r['1'] for r in rs.values() if '1' in r and '2' in r]
    two = [r['2'] for r in rs.values() if '1' in r and '2' in r]
    if not one:
        continue
    sp = [a / c for a, c in zip(one, two)]
    print(f'| {w} | {b} | {statistics.median(one):.2f} | {statistics.median(two):.2f} | '
          f'{statistics.median(sp):.2f}x | {", ".join(f"{s:.2f}" for s in sp)} |')
PY
