#!/usr/bin/env bash
# Crash safety under kill -9: real `gradscale train --checkpoint-every` runs of an MLP and an LSTM,
# SIGKILLed once they have a committed checkpoint, at a random moment or (half of the kills) aimed into a
# checkpoint write (the runs' writes pause 40 ms at each stage before the commit: GRADSCALE_TEST_CHECKPOINT_PAUSE_MS,
# a crash-test hook off by default), resumed with `train --resume`, killed again, and finally compared bit for bit
# with an uninterrupted run (io.gradscale.cli.KillHarness; its Javadoc lists the checks).
#
#   bench/kill-harness.sh [KILLS_PER_WORKLOAD] [SEED] [WORKLOAD,...]
#
# Default 55 kills per workload (110 in all) over kill-mlp and kill-lstm. Time depends on the load: 20 kills per
# workload took 1-2 minutes at load average 5-8, 55 kills 35-40 minutes at load 20 (two workloads side by side,
# one per process). Prints a line per kill and per
# finished chain, and one tab-separated row per workload (kills, kills aimed into a write, kills that left an
# uncommitted write, kills before any checkpoint, checkpoints checked, corrupt checkpoints, kills resumed and compared,
# kills not bit-identical, kills with all three checks, chains, chains not bit-identical) and any problem found; the
# output also goes to bench/results/kill-harness-<time>.txt. Exits 1 if any check failed. SIGTERM stops it and
# prints the tally of the last finished chain.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
. "$here/.mvn/find-jdk.sh"
kills="${1:-55}"
seed="${2:-17}"
workloads="${3:-kill-mlp,kill-lstm}"
(cd "$here" && ./mvnw -q -o -B test-compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt \
    -Dmdep.includeScope=test -pl cli -am) >&2
# a snapshot of the classes, so that rebuilding the tree meanwhile does not change the runs being killed
snap=$(mktemp -d)
trap 'rm -rf "$snap"' EXIT
cp -r "$here/core/target/classes" "$snap/core"
cp -r "$here/cli/target/classes" "$snap/cli"
cp -r "$here/cli/target/test-classes" "$snap/cli-test"
cp="$snap/cli-test:$snap/cli:$snap/core:$(tr ':' '\n' < "$here/cli/target/classpath.txt" | grep '\.jar$' | paste -sd:)"
mkdir -p "$here/bench/results"
out="$here/bench/results/kill-harness-$(date -u +%Y%m%d-%H%M%S).txt"
{
  echo "# bench/kill-harness.sh $kills $seed $workloads on $(nproc) cores, $(date -u +%FT%TZ)"
  "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -cp "$cp" io.gradscale.cli.KillHarness "$cp" "$snap/work" "$kills" "$seed" "$workloads"
} 2>&1 | tee "$out"
