#!/bin/bash
# Foundation benchmarks: SGEMM (GemmBench) against OpenBLAS through numpy, and a sum-of-squares
# reduction (ReductionBench) against the machine's read bandwidth. Prints the tables of
# docs/PERFORMANCE.md; raw results stay in bench/target/foundation/.
#
# Needs: JDK 21+ (JAVA_HOME, default Temurin 25), Debian's python3-numpy and libopenblas0-pthread.
# JMH_OPTS overrides the JMH run length (default -f 1 -wi 5 -i 5: on a shared core the JIT needs a
# few seconds to compile the kernels); OPENBLAS_SECONDS the time numpy spends per shape (default 2).
# --gemm-only skips ReductionBench (about 6 of the 9 minutes go to GEMM).
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JMH_OPTS="${JMH_OPTS:--f 1 -wi 5 -i 5}"
OPENBLAS_SECONDS="${OPENBLAS_SECONDS:-2}"
out=bench/target/foundation
python=/usr/bin/python3
gemm_only=false
if [ "${1:-}" = "--gemm-only" ]; then
    gemm_only=true
elif [ $# -gt 0 ]; then
    echo "usage: $0 [--gemm-only]" >&2
    exit 2
fi

if [ ! -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ]; then
    echo "OpenBLAS is missing: apt-get install libopenblas0-pthread" >&2
    exit 1
fi
./mvnw -q -o -pl bench -am package -DskipTests
rm -rf "$out"
mkdir -p "$out"
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar)

openblas() {  # $1 = run number
    for t in 1 2; do
        "$python" bench/python/gemm_openblas.py --threads "$t" --seconds "$OPENBLAS_SECONDS" > "$out/openblas-$t-$1.tsv"
    done
}

{ echo "start: $(date -u +%FT%TZ) $(uptime)"; } > "$out/load.txt"
openblas 1
# shellcheck disable=SC2086
"${java[@]}" GemmBench $JMH_OPTS -rf json -rff "$out/gemm.json" > "$out/gemm.log"
openblas 2
{ echo "after gemm: $(uptime)"; } >> "$out/load.txt"
if ! $gemm_only; then
    # shellcheck disable=SC2086
    "${java[@]}" ReductionBench $JMH_OPTS -rf json -rff "$out/reduction.json" > "$out/reduction.log"
fi
{ echo "end: $(date -u +%FT%TZ) $(uptime)"; } >> "$out/load.txt"

cat "$out/load.txt"
echo
"$python" bench/python/foundation_table.py "$out"
