#!/usr/bin/env bash
# Sizes of the live view's updates: trains bench/live-overhead.yaml with --live, follows the page's event stream
# with one plain HTTP client from the start to the end of the run (as a browser tab would, without drawing), and
# prints per jar one table row: the updates received, the first one's size, the median and largest of the others,
# and their total.
#
#   bench/live-update-sizes.sh [JAR...]     (default: build this checkout's cli jar)
#
# Give two jars (e.g. one built before a change, one after) to compare them side by side; the training is the same.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
. "$here/.mvn/find-jdk.sh"
jars=("$@")
if [ ${#jars[@]} -eq 0 ]; then
  (cd "$here" && ./mvnw -q -o -B -DskipTests -pl cli -am package) >&2
  jars=("$here/cli/target/gradscale.jar")
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "# $(date -u +%FT%TZ) load average: $(cut -d' ' -f1-3 /proc/loadavg); config bench/live-overhead.yaml"
echo "| jar | updates | first (bytes) | median of the rest (bytes) | largest of the rest (bytes) | total (bytes) |"
echo "|---|---|---|---|---|---|"
for jar in "${jars[@]}"; do
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  GRADSCALE_NO_PROGRESS=1 "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
    -XX:+UseParallelGC -Xmn256m -jar "$jar" train "$here/bench/live-overhead.yaml" --live --port "$port" \
    --out "$work/run" >"$work/train.log" 2>&1 &
  trainer=$!
  until curl -s -o /dev/null "http://127.0.0.1:$port/"; do
    kill -0 "$trainer" 2>/dev/null || { cat "$work/train.log" >&2; exit 1; }
    sleep 0.05
  done
  # the stream ends when the server stops, after the final update
  curl -s -N "http://127.0.0.1:$port/events" >"$work/events.txt" || true
  wait "$trainer"
  python3 - "$work/events.txt" "$jar" <<'PY'
import statistics, sys
sizes = []
event = None
for line in open(sys.argv[1], encoding="utf-8"):
    if line.startswith("event: "):
        event = line[7:].strip()
    elif line.startswith("data: ") and event == "update":
        sizes.append(len(line.encode("utf-8")) - 7)
rest = sizes[1:] or [0]
print("| %s | %d | %d | %.0f | %d | %d |" % (sys.argv[2], len(sizes), sizes[0] if sizes else 0, statistics.median(rest),
                                           max(rest), sum(sizes)))
PY
  rm -rf "$work/run"
done
