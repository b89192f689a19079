#!/usr/bin/env bash
# Fuzzes each Jazzer target for a given time, one after the other, and writes a summary line per
# target (executions, coverage, corpus, findings) to fuzz/campaigns/<stamp>/summary.tsv.
#
#   fuzz/run-campaign.sh [SECONDS_PER_TARGET] [Class#method ...]
#
# Default: 600 s for every target. The campaign runs from a snapshot of the compiled classes (taken
# after one build), so the working tree can be rebuilt meanwhile. Findings go, as Jazzer puts them,
# into the target's inputs directory (fuzz/src/test/resources/io/gradscale/fuzz/<Class>Inputs/<method>/),
# which `./mvnw verify` replays from then on; the generated corpus goes to fuzz/.cifuzz-corpus (not
# committed). The fuzz JVM runs with -Xmx${FUZZ_XMX:-256m}, so that an allocation out of proportion to
# the input is a finding, and with a per-input timeout of ${FUZZ_TIMEOUT:-30} s, so that a hang is one.
# A finding does not end a target's run: Jazzer keeps going (distinct findings by stack trace).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_PER_TARGET=${1:-600}
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(DataFuzzTest#csvDataset DataFuzzTest#sequenceCsv DataFuzzTest#idx DataFuzzTest#idxGzip
           CheckpointFuzzTest#safetensors CheckpointFuzzTest#checkpoint CliFuzzTest#config CliFuzzTest#metricsLog)
fi
OUT=$ROOT/fuzz/campaigns/$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$OUT/classes"
./mvnw -B -q -o test-compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=test \
    -pl fuzz -am > "$OUT/build.log" 2>&1
for m in core cli; do cp -r "$m/target/classes" "$OUT/classes/$m"; done
cp -r fuzz/target/test-classes "$OUT/classes/fuzz"
DEPS=$(tr ':' '\n' < fuzz/target/classpath.txt | grep '\.jar$' | paste -sd:)
CP="$OUT/classes/fuzz:$OUT/classes/core:$OUT/classes/cli:$DEPS"
. .mvn/find-jdk.sh
JAVA=$JAVA_HOME/bin/java
printf 'target\tseconds_asked\tseconds_run\texecutions\texec_per_s\tcoverage_edges\tfeatures\tcorpus\tfindings\n' > "$OUT/summary.tsv"
for t in "${TARGETS[@]}"; do
  log="$OUT/${t/\#/.}.log"
  start=$(date +%s)
  # jazzer.internal.arg.* are libFuzzer's arguments (argv0, then flags that override Jazzer's defaults).
  (cd fuzz && JAZZER_FUZZ=1 nice -n 10 "$JAVA" -Xmx"${FUZZ_XMX:-256m}" -Xss4m --add-modules jdk.incubator.vector -cp "$CP" \
      -Djazzer.internal.basedir="$ROOT/fuzz" -Djazzer.keep_going=1000 \
      -Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1=-max_total_time="$SECONDS_PER_TARGET" \
      -Djazzer.internal.arg.2=-timeout="${FUZZ_TIMEOUT:-30}" -Djazzer.internal.arg.3=-print_final_stats=1 \
      io.gradscale.fuzz.Campaign "io.gradscale.fuzz.$t") > "$log" 2>&1 || true
  end=$(date +%s)
  execs=$(grep -ao 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | awk '{print $2}')
  persec=$(grep -ao 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -1 | awk '{print $2}')
  status=$(grep -aE '^#[0-9]+' "$log" | grep -ao 'cov: [0-9]* ft: [0-9]* corp: [0-9]*' | tail -1 || true)
  cov=$(echo "$status" | awk '{print $2}'); ft=$(echo "$status" | awk '{print $4}'); corp=$(echo "$status" | awk '{print $6}')
  findings=$(grep -ac '== Java Exception' "$log" || true)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$SECONDS_PER_TARGET" "$((end - start))" "${execs:-?}" "${persec:-?}" \
      "${cov:-?}" "${ft:-?}" "${corp:-?}" "$findings" >> "$OUT/summary.tsv"
done
cat "$OUT/summary.tsv"
