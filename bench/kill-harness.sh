#!/usr/bin/env bash
# Crash safety under kill -9: real `gradscale train --checkpoint-every` runs of an MLP and an LSTM,
# SIGKILLed at random moments (JVM start-up, training, checkpoint writes), resumed with
# `train --resume`, killed again, and finally compared bit for bit with an uninterrupted run
# (io.gradscale.cli.KillHarness; its Javadoc lists the checks).
#
#   bench/kill-harness.sh [KILLS_PER_WORKLOAD] [SEED] [WORKLOAD,...]
#
# Default 50 kills per workload (100 in all) over kill-mlp and kill-lstm. Prints one tab-separated row per workload (kills, kills
# before any checkpoint, kills during a checkpoint write, checkpoints checked, corrupt checkpoints,
# resumed runs completed, resumed runs not bit-identical) and any problem found; the output also goes
# to bench/results/kill-harness-<time>.txt. Exits 1 if any check failed.
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
