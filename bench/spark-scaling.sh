#!/usr/bin/env bash
# Time per step on Spark against the single-machine trainer (docs/SCALING.md): the MLP and LSTM workloads of bench/,
# local[1] and local[2], fixed tree and plain treeAggregate, in alternating rounds.
#   bench/spark-scaling.sh [ROUNDS] [STEPS]      output: stdout (Spark's own log: bench/spark-scaling.log)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
. "$here/.mvn/find-jdk.sh"
(cd "$here" && ./mvnw -q -B -DskipTests -pl spark -am package) >&2
export SPARK_LOCAL_IP=127.0.0.1
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmx4g \
  "@$here/spark/target/launcher/java.args" \
  -cp "$here/spark/target/test-classes:$here/spark/target/classes:$(cat "$here/spark/target/launcher/classpath.txt")" \
  io.gradscale.spark.bench.ScalingBench "$@" 2> "$here/bench/spark-scaling.log"
