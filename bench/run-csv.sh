#!/usr/bin/env bash
# CSV reading speed on one core: gradscale's CsvTable/CsvDataset against the raw read of the file's bytes and,
# when Debian's python has them (apt-get install python3-numpy python3-pandas), numpy's loadtxt and pandas'
# read_csv, alternated in rounds on the same files.
#
#   bench/run-csv.sh [ROUNDS] [ROWS]
#
# Writes two tables of ROWS rows (default 10000) and 785 columns under bench/results/csv/: digits.csv
# (integer pixels 0-255, mostly 0, as MNIST) and real.csv (decimals of 6 significant digits). Times are
# CPU time of the reading thread/process, so that the other processes of a shared machine count less.
# The RESULT lines go to bench/results/csv-<time>.txt.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
. "$here/.mvn/find-jdk.sh"
rounds="${1:-3}"
rows="${2:-10000}"
(cd "$here" && ./mvnw -q -o -B -DskipTests -pl bench -am package) >&2
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -XX:+UseParallelGC -Xmx4g
      -cp "$here/bench/target/benchmarks.jar" io.gradscale.bench.CsvHarness)
data="$here/bench/results/csv"
mkdir -p "$data"
[ -f "$data/digits-$rows.csv" ] || "${java[@]}" write "$data/digits-$rows.csv" "$rows"
[ -f "$data/real-$rows.csv" ] || "${java[@]}" write-real "$data/real-$rows.csv" "$rows"
out="$here/bench/results/csv-$(date +%Y%m%d-%H%M%S).txt"
{
  echo "# $(date -Is) $(uname -srm)"
  echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(nproc) cores"
  echo "# load before: $(uptime)"
} > "$out"
for ((r = 1; r <= rounds; r++)); do
  for f in "digits-$rows" "real-$rows"; do
    "${java[@]}" run "$data/$f.csv" 2>/dev/null | tee -a "$out"
    /usr/bin/python3 "$here/bench/python/csv_bench.py" "$data/$f.csv" 3 | tee -a "$out"
  done
done
echo "# load after: $(uptime)" >> "$out"
echo "Raw results: $out" >&2
