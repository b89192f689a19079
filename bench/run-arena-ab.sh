#!/usr/bin/env bash
# The buffer arena, before and after, in one session: for each workload and round, the step harness of the build
# BEFORE_REV (a commit without the arena), the one of this tree, then PyTorch, alternated on one thread, so that
# both ratios to PyTorch come from the same minutes. Prints one table: median step times, the ratios (median of
# rounds) and the bytes allocated per step (ThreadMXBean, all threads, timed window).
#
#   bench/run-arena-ab.sh BEFORE_REV [ROUNDS] [WORKLOAD ...]
#
# Environment: WARMUP (default 200: fewer steps leave the Vector API's warm-up boxing in the allocation figure on a
# loaded machine) and STEPS (default 40). PyTorch runs as in run-steps.sh (OpenBLAS preloaded when installed).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
. "$here/.mvn/find-jdk.sh"
default_workloads="mlp-sgd mlp-adam deep-mlp lstm rnn"
# shellcheck source=bench/before-and-after.sh
. "$here/bench/before-and-after.sh"
warmup="${WARMUP:-200}"
steps="${STEPS:-40}"
openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
torch() { # WORKLOAD
  if [ -f "$openblas" ]; then
    OPENBLAS_NUM_THREADS=1 LD_PRELOAD="$openblas" GRADSCALE_TORCH_BLAS=openblas \
      /usr/bin/python3 "$here/bench/python/step_bench.py" "$1" 1 30 "$steps"
  else
    GRADSCALE_TORCH_BLAS=system /usr/bin/python3 "$here/bench/python/step_bench.py" "$1" 1 30 "$steps"
  fi
}

out="$tmp/results.txt"
echo "# $(date -Is), before: $(git -C "$here" rev-parse --short "$before_rev"), after: $(git -C "$here" rev-parse --short HEAD) + work tree; load before: $(uptime | sed 's/.*load/load/')"
for w in "${workloads[@]}"; do
  for ((r = 1; r <= rounds; r++)); do
    echo "round=$r $(harness "$tmp/before.jar" "$w" 1 | sed 's/impl=gradscale/impl=before/')" | tee -a "$out" >&2
    echo "round=$r $(harness "$tmp/after.jar" "$w" 1 | sed 's/impl=gradscale/impl=after/')" | tee -a "$out" >&2
    echo "round=$r $(torch "$w")" | tee -a "$out" >&2
  done
done
echo "# load after: $(uptime | sed 's/.*load/load/')"
/usr/bin/python3 - "$out" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = dict(re.findall(r'(\w+)=(\S+)', line))
    if 'impl' in f:
        rows.setdefault((f['workload'], f['round']), {})[f['impl']] = f
print('| workload | before ms | after ms | PyTorch ms | ratio before | ratio after | alloc/step before | alloc/step after |')
print('|---|---|---|---|---|---|---|---|')
for w in dict.fromkeys(k[0] for k in rows):
    rs = [v for k, v in rows.items() if k[0] == w and {'before', 'after', 'torch'} <= v.keys()]
    if not rs:
        continue
    med = lambda impl, key: statistics.median(float(r[impl][key]) for r in rs)
    ratio = lambda impl: statistics.median(float(r[impl]['median_ms']) / float(r['torch']['median_ms']) for r in rs)
    mb = lambda impl: '%.2f MB' % (med(impl, 'alloc_bytes') / 1e6)
    print(f"| {w} | {med('before','median_ms'):.2f} | {med('after','median_ms'):.2f} | {med('torch','median_ms'):.2f} | "
          f"{ratio('before'):.2f} | {ratio('after'):.2f} | {mb('before')} | {mb('after')} |")
PY
