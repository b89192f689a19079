#!/usr/bin/env bash
# Cost of the live doctor (LiveDoctorBench): the same training run without and with a LiveDoctor, alternated A/B,
# per workload, then the cost of one evaluation alone (thread CPU time, far less noisy on a loaded machine).
#
#   bench/live-doctor.sh [ROUNDS] [STEPS]            this build
#   bench/live-doctor.sh --ab OLD.jar NEW.jar [ROUNDS]  two builds of bench/target/benchmarks.jar, evaluation cost
#                                                     alternated old/new ROUNDS times (e.g. before and after a detector change)
#
# Prints markdown tables; about 2-3 minutes on an idle machine with the defaults.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
. "$here/.mvn/find-jdk.sh"
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector)
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${1:-}" = "--ab" ]; then
  old="$2"; new="$3"; rounds="${4:-3}"
  for r in $(seq "$rounds"); do
    for v in old new; do
      jar="$old"; [ "$v" = new ] && jar="$new"
      echo "== $v, round $r, load $(cut -d' ' -f1-3 /proc/loadavg)"
      "${java[@]}" -cp "$jar" io.gradscale.bench.LiveDoctorBench eval 3 2>/dev/null
    done
  done
  exit 0
fi
(cd "$here" && ./mvnw -B -q -o -pl bench -am package -DskipTests)
jar="$here/bench/target/benchmarks.jar"
"${java[@]}" -cp "$jar" io.gradscale.bench.LiveDoctorBench "${1:-7}" "${2:-500}" 2>/dev/null
"${java[@]}" -cp "$jar" io.gradscale.bench.LiveDoctorBench eval 5 2>/dev/null
