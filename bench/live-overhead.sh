#!/usr/bin/env bash
# Cost of the live view: training speed of `gradscale train CONFIG --live` with a headless Chromium
# showing the page, against the same run without the live view, alternated A/B in one session.
#
#   bench/live-overhead.sh [ROUNDS] [CONFIG]
#
# ROUNDS (default 3) pairs of runs, each pair in alternating order (plain first, then live first).
# Speed is steps per second over the second half of each run, read from its metrics log (training only:
# no JVM start, no report writing; the browser is attached by then). Prints one line per run and the
# ratio of the medians; the raw lines go to bench/results/live-overhead-<time>.txt.
# Needs Debian's chromium and curl.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
. "$here/.mvn/find-jdk.sh"
rounds="${1:-3}"
config="${2:-$here/bench/live-overhead.yaml}"

(cd "$here" && ./mvnw -q -o -B -DskipTests -pl cli -am package) >&2
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC
      -jar "$here/cli/target/gradscale.jar")
work="$(mktemp -d)"
browser=""
cleanup() {
  if [ -n "$browser" ]; then kill "$browser" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$here/bench/results"
results="$here/bench/results/live-overhead-$(date -u +%Y%m%d-%H%M%S).txt"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# steps per second between the middle and the last logged step of a run directory's metrics log
rate() {
  python3 - "$1"/*/metrics.jsonl <<'PY'
import json, sys
steps = [json.loads(l) for l in open(sys.argv[1]) if '"type":"step"' in l]
a, b = steps[len(steps) // 2], steps[-1]
print("%.1f" % ((b["step"] - a["step"]) / (b["elapsedMillis"] - a["elapsedMillis"]) * 1000))
PY
}

plain() {
  local out="$work/plain-$1"
  GRADSCALE_NO_PROGRESS=1 "${java[@]}" train "$config" --out "$out" >"$out.log" 2>&1
  echo "plain $(rate "$out")"
}

live() {
  local out="$work/live-$1" port debug pages
  port="$(free_port)"
  debug="$(free_port)"
  GRADSCALE_NO_PROGRESS=1 "${java[@]}" train "$config" --live --port "$port" --out "$out" >"$out.log" 2>&1 &
  local trainer=$!
  until curl -s -o /dev/null "http://127.0.0.1:$port/"; do
    kill -0 "$trainer" 2>/dev/null || { cat "$out.log" >&2; exit 1; }
    sleep 0.1
  done
  /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run \
    --disable-component-update --disable-sync --user-data-dir="$work/profile-$1" --remote-debugging-port="$debug" \
    "http://127.0.0.1:$port/" >/dev/null 2>&1 &
  browser=$!
  # the run counts only if the page was open in the browser while it trained
  sleep 3
  pages="$(curl -s "http://127.0.0.1:$debug/json/list" | grep -c '"title": "gradscale live' || true)"
  wait "$trainer"
  kill "$browser" 2>/dev/null || true
  wait "$browser" 2>/dev/null || true
  browser=""
  echo "live $(rate "$out") pages=$pages"
}

for ((i = 1; i <= rounds; i++)); do
  if ((i % 2)); then plain "$i"; live "$i"; else live "$i"; plain "$i"; fi
done | tee "$results"

python3 - "$results" <<'PY'
import statistics, sys
runs = [l.split() for l in open(sys.argv[1])]
plain = [float(r[1]) for r in runs if r[0] == "plain"]
live = [float(r[1]) for r in runs if r[0] == "live"]
if any(r[0] == "live" and r[2] != "pages=1" for r in runs):
    print("WARNING: a live run had no page open in the browser")
p, l = statistics.median(plain), statistics.median(live)
print("median steps/s: plain %.1f, live + browser %.1f; live/plain %.3f (%+.1f %%)" % (p, l, l / p, 100 * (l / p - 1)))
PY
