# Sourced by the before/after scripts (run-arena-ab.sh, run-threads-ab.sh): reads BEFORE_REV [ROUNDS] [WORKLOAD ...]
# from the caller's arguments, builds the bench jar of this tree and of the commit BEFORE_REV (exported with git
# archive into a temporary directory, removed on exit), and leaves: before_rev, rounds, workloads (the given ones or
# the caller's $default_workloads), tmp, the jars $tmp/before.jar and $tmp/after.jar, and harness() to run one.
# shellcheck shell=bash
before_rev="${1:?usage: $0 BEFORE_REV [ROUNDS] [WORKLOAD ...]}"
shift
rounds="${1:-3}"
shift || true
workloads=("$@")
# shellcheck disable=SC2206,SC2154
[ ${#workloads[@]} -eq 0 ] && workloads=($default_workloads)

# shellcheck disable=SC2154
(cd "$here" && nice -n 15 ./mvnw -q -o -B -DskipTests -pl bench -am package) >&2
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src"
git -C "$here" archive "$before_rev" | tar -x -C "$tmp/src"
(cd "$tmp/src" && nice -n 15 ./mvnw -q -o -B -DskipTests -pl bench -am package) >&2
cp "$tmp/src/bench/target/benchmarks.jar" "$tmp/before.jar"
cp "$here/bench/target/benchmarks.jar" "$tmp/after.jar"

# The step harness of one build: JAR WORKLOAD THREADS, with the caller's $warmup and $steps; prints its RESULT line.
harness() {
  # shellcheck disable=SC2154
  "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -XX:+UseParallelGC -Xms3g -Xmx3g -cp "$1" \
    io.gradscale.bench.StepHarness run "$2" "$3" "$warmup" "$steps" 2>/dev/null | grep '^RESULT'
}
