#!/usr/bin/env bash
# End-to-end training steps, gradscale against PyTorch, in one session (adam-floor and clip-floor:
# gradscale side only).
#
#   bench/run-steps.sh [ROUNDS] [WORKLOAD ...]
#
# Builds the bench jar, then for each workload runs ROUNDS rounds (default 3) of: gradscale on 1 thread,
# PyTorch on 1 thread, gradscale on 2 threads, PyTorch on 2 threads. Alternating keeps each ratio within
# the same minutes on a noisy machine. Prints the markdown table of StepHarness.report; the raw RESULT
# lines go to bench/results/steps-<time>.txt. PyTorch runs only when Debian's python has torch.
# Environment: WARMUP and STEPS (per run; defaults 30 and 40), THREADS (default "1 2"), TORCH_BLAS:
# "openblas" (the default when Debian's OpenBLAS is installed) preloads it for PyTorch with as many BLAS
# threads as torch threads; "system" leaves whatever libblas.so.3 the alternatives system points at. Debian's
# python3-torch is built with BLAS_INFO=generic: on a machine where libblas.so.3 is the reference BLAS, its
# matrix products are ten to twenty times slower than with OpenBLAS, which is not what a user would pick.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
. "$here/.mvn/find-jdk.sh"
rounds="${1:-3}"
shift || true
workloads=("$@")
if [ ${#workloads[@]} -eq 0 ]; then
  workloads=(mlp-sgd mlp-adam deep-mlp lstm rnn gru clip-10 clip-1000 adam-10 adam-1000 adam-floor clip-floor)
fi
warmup="${WARMUP:-30}"
steps="${STEPS:-40}"
threads="${THREADS:-1 2}"

(cd "$here" && ./mvnw -q -o -B -DskipTests -pl bench -am package) >&2
jar="$here/bench/target/benchmarks.jar"
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -XX:+UseParallelGC -Xms3g -Xmx3g
      -cp "$jar" io.gradscale.bench.StepHarness)

openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
torch_blas="${TORCH_BLAS:-$([ -f "$openblas" ] && echo openblas || echo system)}"
torch_ok=0
if /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
  torch_ok=1
else
  echo "PyTorch is not installed for /usr/bin/python3 (Debian's python3-torch): running the gradscale side only." >&2
fi

mkdir -p "$here/bench/results"
out="$here/bench/results/steps-$(date +%Y%m%d-%H%M%S).txt"
{
  echo "# $(date -Is) $(uname -srm)"
  echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(nproc) cores"
  echo "# java: $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
  [ "$torch_ok" = 1 ] && echo "# torch: $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), BLAS: $torch_blas (system libblas.so.3 -> $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null))"
  echo "# load before: $(uptime)"
} > "$out"

for w in "${workloads[@]}"; do
  for ((r = 1; r <= rounds; r++)); do
    for t in $threads; do
      line=$("${java[@]}" run "$w" "$t" "$warmup" "$steps")
      echo "$line" | tee -a "$out" >&2
      if [ "$torch_ok" = 1 ] && [[ "$w" != *-floor ]]; then
        if [ "$torch_blas" = openblas ]; then
          line=$(OPENBLAS_NUM_THREADS="$t" LD_PRELOAD="$openblas" GRADSCALE_TORCH_BLAS=openblas \
                 /usr/bin/python3 "$here/bench/python/step_bench.py" "$w" "$t" "$warmup" "$steps")
        else
          line=$(GRADSCALE_TORCH_BLAS=system /usr/bin/python3 "$here/bench/python/step_bench.py" "$w" "$t" "$warmup" "$steps")
        fi
        echo "$line" | tee -a "$out" >&2
      fi
    done
  done
done
echo "# load after: $(uptime)" >> "$out"

echo "Raw results: $out" >&2
grep '^#' "$out"
echo
"${java[@]}" report "$out"
