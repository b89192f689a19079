#!/usr/bin/env bash
# A DP-SGD training step against a plain one (MLP 784-512-256-10, batch 128), alternating rounds in one JVM, with
# the parts of the difference (per-example norms, clipped sums, noise):
#
#   bench/run-dp.sh [THREADS [ROUNDS [STEPS [WARMUP]]]]     defaults 1 7 200 200 (about 30 s on an idle machine)
#
# Opacus (the usual PyTorch side) cannot be installed here (no PyPI), so the comparison is with gradscale's own
# plain step, as the issue allows. The output goes to bench/results/dp-<time>.txt too.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
. "$here/.mvn/find-jdk.sh"
(cd "$here" && ./mvnw -q -o -B -DskipTests -pl bench -am package) >&2
mkdir -p "$here/bench/results"
out="$here/bench/results/dp-$(date +%Y%m%d-%H%M%S).txt"
{
  echo "# $(date -Is) $(uname -srm), $(nproc) cores, load: $(uptime | sed 's/.*load average: //')"
  "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -XX:+UseParallelGC -Xms2g -Xmx2g \
      -cp "$here/bench/target/benchmarks.jar" io.gradscale.bench.DpStepBench "$@"
} 2>/dev/null | tee "$out"
