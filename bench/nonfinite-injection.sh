#!/usr/bin/env bash
# Non-finite gradient injection over many seeds (io.gradscale.train.NonFiniteInjectionTest): NaN and
# +-infinity written into random elements of random parameters' gradients at random steps of real MLP
# and LSTM training steps, under each NonFinitePolicy. Prints the table of docs/RELIABILITY.md (one row
# per policy: runs, steps, injected steps and elements, corruptions, skips and zeroed elements reported,
# failures naming step and tensor); also written to bench/results/nonfinite-injection-<time>.txt.
#
#   bench/nonfinite-injection.sh [SEEDS]     (default 200; ./mvnw verify runs 4)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seeds="${1:-200}"
mkdir -p "$here/bench/results"
out="$here/bench/results/nonfinite-injection-$(date -u +%Y%m%d-%H%M%S).txt"
cd "$here"
./mvnw -B -o test -pl core -Dtest=NonFiniteInjectionTest -Dsurefire.failIfNoSpecifiedTests=false \
    -Dgradscale.injection.seeds="$seeds" > "$out.log" 2>&1 || status=$?
{
  echo "# bench/nonfinite-injection.sh $seeds, $(date -u +%FT%TZ)"
  grep -A4 '^policy' "$out.log"
  grep -E 'Tests run:.*NonFiniteInjectionTest' "$out.log" | tail -1
} | tee "$out"
rm -f "$out.log"
exit "${status:-0}"
