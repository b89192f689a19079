#!/usr/bin/env bash
# The README's spark-submit example, run for real: a Spark standalone cluster (one master, WORKERS workers, each
# worker's executors in their own JVMs) started on this machine from Spark's own jars, the gradscale-spark.jar
# submitted to it with Spark's SparkSubmit in client mode, exactly as `spark-submit` does, and the trained weights
# compared bit for bit with `./gradscale train` of the same configuration without Spark.
#
#   spark/run-standalone.sh [CONFIG]       default: examples/spirals-spark.yaml
#
# Environment: WORKERS (default 2), CORES per worker (default 1), KEEP=1 keeps the work directory (logs, runs).
# A Spark distribution is a directory of jars plus scripts; this lays one out under the work directory from the
# jars Maven resolved for the spark module (target/launcher/classpath.txt), so nothing beyond Maven Central is
# needed. The master and workers listen on 127.0.0.1 only. Exit status 0 only when the cluster's run completed and
# its final weights equal the local run's byte for byte.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
. "$here/.mvn/find-jdk.sh"
config="$(realpath "${1:-$here/examples/spirals-spark.yaml}")"
workers="${WORKERS:-2}"
cores="${CORES:-1}"

(cd "$here" && ./mvnw -q -o -B -DskipTests -pl spark -am package) >&2
app_jar="$here/spark/target/gradscale-spark.jar"
[ -f "$app_jar" ] || { echo "run-standalone: $app_jar was not built" >&2; exit 1; }

work="$(mktemp -d /tmp/gradscale-standalone.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# Spark's home: its jars (and their dependencies) only; gradscale reaches the executors as the submitted jar.
home="$work/spark-home"
mkdir -p "$home/jars" "$home/conf"
tr ':' '\n' < "$here/spark/target/launcher/classpath.txt" | grep '\.jar$' | grep -v '/gradscale-' | while read -r j; do
  ln -s "$j" "$home/jars/"
done
# SPARK_SCALA_VERSION: a distribution's bin/load-spark-env.sh sets it; a worker's executor launcher requires it
export SPARK_HOME="$home" SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1 SPARK_LOG_DIR="$work/logs"
mkdir -p "$SPARK_LOG_DIR"
read -r -a opens < <(sed -n 's/.*<spark.add.opens.flags>\(.*\)<\/spark.add.opens.flags>.*/\1/p' "$here/spark/pom.xml")
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector "${opens[@]}" -Xmx1g -cp "$home/jars/*")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port="$(free_port)"
master="spark://127.0.0.1:$port"

"${java[@]}" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" --webui-port "$(free_port)" \
  > "$work/logs/master.log" 2>&1 &
pids+=($!)
for ((w = 1; w <= workers; w++)); do
  "${java[@]}" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores "$cores" --memory 1g \
    --webui-port "$(free_port)" --work-dir "$work/worker-$w" "$master" > "$work/logs/worker-$w.log" 2>&1 &
  pids+=($!)
done
# wait until every worker has registered with the master
for ((i = 0; i < 120; i++)); do
  n=$(grep -c "Registering worker" "$work/logs/master.log" 2>/dev/null || true)
  [ "${n:-0}" -ge "$workers" ] && break
  sleep 0.5
done
[ "${n:-0}" -ge "$workers" ] || { echo "run-standalone: only ${n:-0} of $workers workers registered; see $work/logs" >&2; KEEP=1; exit 1; }
echo "standalone cluster: $master, $workers workers x $cores cores, executors in their own JVMs" >&2

# The cluster's configuration: the same file with the data path made absolute and the master left to spark-submit.
cluster_cfg="$work/cluster.yaml"
local_cfg="$work/local.yaml"
python3 - "$config" "$cluster_cfg" "$local_cfg" <<'PY'
import os, re, sys
src, cluster, local = sys.argv[1:]
text = open(src).read()
base = os.path.dirname(src)
text = re.sub(r"(\n\s*path:\s*)([^\s#]+)", lambda m: m.group(1) + (m.group(2) if os.path.isabs(m.group(2)) or ":" in m.group(2) else os.path.join(base, m.group(2))), text)
# the section's master is the submitter's choice on a cluster; the local run has no spark section at all
without_master = re.sub(r"\n\s+master:[^\n]*", "", text)
open(cluster, "w").write(without_master)
open(local, "w").write(re.sub(r"\nspark:\n(\s+[^\n]*\n?)*", "\n", text))
PY

start=$(date +%s.%N)
"${java[@]}" org.apache.spark.deploy.SparkSubmit --master "$master" --deploy-mode client \
  --class io.gradscale.cli.Main \
  --conf "spark.executor.extraJavaOptions=--add-modules=jdk.incubator.vector ${opens[*]}" \
  --conf spark.ui.enabled=false \
  "$app_jar" train "$cluster_cfg" --out "$work/runs-cluster" > "$work/logs/submit.log" 2>&1 \
  || { echo "run-standalone: the submitted run failed; its output:" >&2; tail -40 "$work/logs/submit.log" >&2; KEEP=1; exit 1; }
end=$(date +%s.%N)
# each executor's log lives under its worker's work directory: the tasks each one ran
tasks=""
for log in "$work"/worker-*/app-*/*/stderr; do
  tasks+="$(basename "$(dirname "$(dirname "$(dirname "$log")")")")=$(grep -c "Running task" "$log" || true) "
done
"$here/gradscale" train "$local_cfg" --out "$work/runs-local" > "$work/logs/local.log" 2>&1 \
  || { echo "run-standalone: the local run failed:" >&2; tail -20 "$work/logs/local.log" >&2; KEEP=1; exit 1; }

grep -E "^(test|validation|final|done|trained)|steps/s|examples/s" "$work/logs/submit.log" | tail -4 >&2 || true
cluster_model=$(ls -d "$work"/runs-cluster/*/checkpoint/gen-* | tail -1)/model.safetensors
local_model=$(ls -d "$work"/runs-local/*/checkpoint/gen-* | tail -1)/model.safetensors
printf 'submitted run: %.1f s wall (JVM start, Spark, training, report); tasks run by the executor of each worker: %s\n' \
  "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "$tasks"
if cmp -s "$cluster_model" "$local_model"; then
  echo "final weights: standalone cluster == local run, byte for byte ($(stat -c %s "$cluster_model") bytes)"
else
  echo "final weights DIFFER: $cluster_model vs $local_model" >&2
  KEEP=1
  exit 1
fi
