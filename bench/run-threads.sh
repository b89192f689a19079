#!/usr/bin/env bash
# One thread against two, per workload, in the same JVM with the steps of both interleaved
# (io.gradscale.bench.ThreadsHarness), so that both sides meet the same load and JIT state.
#
#   bench/run-threads.sh [WORKLOAD ...]
#
# Default: the step workloads of issue 16's two-thread target (deep-mlp, lstm, mlp-sgd, mlp-adam), the others
# of bench/run-steps.sh (rnn, gru, clip-1000), and deep-mlp's three products in isolation (gemm:64x256x256:NT
# forward as x W^T, :NN the input gradient g W, gemm:256x256x64:TN the weight gradient g^T x), which bound
# what two threads can give that step on this machine. ROUNDS and BLOCK (environment; defaults 15 and 20):
# rounds of BLOCK steps on each side. PLAN=1: the two-thread side steps through a ThreadPlan, as the Trainer
# does (it may keep steps on one thread where that measured faster); the last column says where its last
# probe left them. Prints one table; about 15 s per workload.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
. "$here/.mvn/find-jdk.sh"
workloads=("$@")
if [ ${#workloads[@]} -eq 0 ]; then
  workloads=(deep-mlp lstm mlp-sgd mlp-adam rnn gru clip-1000 gemm:64x256x256:NT gemm:64x256x256:NN gemm:256x256x64:TN)
fi
(cd "$here" && ./mvnw -q -o -B -DskipTests -pl bench -am package) >&2
jar="$here/bench/target/benchmarks.jar"
echo "# $(date -Is), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| workload | 1 thread ms | 2 threads ms | speed-up (median of rounds [IQR]) | plan |"
echo "|---|---|---|---|---|"
for w in "${workloads[@]}"; do
  line=$("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -XX:+UseParallelGC -Xms3g -Xmx3g -cp "$jar" \
         io.gradscale.bench.ThreadsHarness "$w" "${ROUNDS:-15}" "${BLOCK:-20}" "$([ "${PLAN:-0}" = 1 ] && echo plan || echo pool)" 2>/dev/null)
  echo "$line" >&2
  get() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
  echo "| $w | $(get one_ms) | $(get two_ms) | $(get speedup) [$(get speedup_q1)–$(get speedup_q3)] | $(get plan) |"
done
echo
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
