#!/usr/bin/env bash
# What the live view's updates cost per se, two builds side by side, without a trainer competing: a run's metrics
# log (bench/live-overhead.yaml trained once, 40 000 steps) is replayed into a run directory line by line over
# SECONDS of wall time while `gradscale watch` follows it and a headless Chromium tab shows the page (and one
# plain HTTP client counts the updates); then the diagnosis appears and the page says "finished". The server paces
# its updates by wall time here (1 % of it), so both builds send updates through the whole replay. Per run:
# processor seconds of the browser (its tab open to the end), of the watch JVM, and of its server threads
# (gradscale-live-*: reading the log, the doctor, building updates, writing them), the updates sent and their
# bytes. The jars alternate round by round (A B B A ...).
#
#   bench/live-watch-cost.sh OLD.jar NEW.jar [ROUNDS] [SECONDS]    (defaults 2 rounds, 40 s: about 3.5 minutes)
#
# Raw lines go to bench/results/live-watch-cost-<time>.txt. Needs Debian's chromium and curl.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
. "$here/.mvn/find-jdk.sh"
a="${1:?usage: bench/live-watch-cost.sh OLD.jar NEW.jar [ROUNDS] [SECONDS]}"
b="${2:?usage: bench/live-watch-cost.sh OLD.jar NEW.jar [ROUNDS] [SECONDS]}"
rounds="${3:-2}"
seconds="${4:-40}"
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC)
work="$(mktemp -d)"
browser=""
cleanup() {
  if [ -n "$browser" ]; then kill "$browser" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$here/bench/results"
raw="$here/bench/results/live-watch-cost-$(date -u +%Y%m%d-%H%M%S).txt"
# shellcheck source=bench/live-common.sh
. "$here/bench/live-common.sh"

# the log to replay, from one plain run
GRADSCALE_NO_PROGRESS=1 "${java[@]}" -jar "$b" train "$here/bench/live-overhead.yaml" --out "$work/template" >"$work/template.log" 2>&1
template="$(dirname "$(ls "$work"/template/*/metrics.jsonl)")"

debug="$(free_port)"
start_chromium "$work/profile" "$debug"
browser=$chromium_pid

one() { # $1 = label, $2 = jar, $3 = round
  local dir="$work/run-$1-$3" port watch tab b0 b1 jvm server
  mkdir -p "$dir"
  port="$(free_port)"
  "${java[@]}" -jar "$2" watch "$dir" --port "$port" >"$work/watch.log" 2>&1 &
  watch=$!
  until curl -s -o /dev/null "http://127.0.0.1:$port/"; do
    kill -0 "$watch" 2>/dev/null || { cat "$work/watch.log" >&2; exit 1; }
    sleep 0.1
  done
  jvm="$(pgrep -P "$watch" java || echo "$watch")"
  curl -s -N "http://127.0.0.1:$port/events" >"$work/events.txt" &
  local counter=$!
  b0="$(cpu_tree "$browser")"
  tab="$(curl -s -X PUT "http://127.0.0.1:$debug/json/new?http://127.0.0.1:$port/" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')"
  python3 - "$template/metrics.jsonl" "$dir/metrics.jsonl" "$seconds" <<'PY'
import sys, time
lines = open(sys.argv[1], encoding="utf-8").readlines()
start = time.monotonic()
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for i, line in enumerate(lines):
        out.write(line)
        if i % 200 == 0:
            out.flush()
            delay = start + float(sys.argv[3]) * i / len(lines) - time.monotonic()
            if delay > 0:
                time.sleep(delay)
PY
  cp "$template/diagnosis.json" "$dir/diagnosis.json"
  # the final update: drawn by the page, the stream then idle
  sleep 4
  b1="$(cpu_tree "$browser")"
  server="$(server_seconds "$jvm")"
  local total
  total="$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$jvm/stat")"
  kill "$watch" 2>/dev/null || true
  wait "$watch" 2>/dev/null || true
  kill "$counter" 2>/dev/null || true
  wait "$counter" 2>/dev/null || true
  curl -s -o /dev/null "http://127.0.0.1:$debug/json/close/$tab"
  local updates
  updates="$(python3 -c '
import sys
n = b = 0
event = None
for line in open(sys.argv[1], encoding="utf-8"):
    if line.startswith("event: "):
        event = line[7:].strip()
    elif line.startswith("data: ") and event == "update":
        n += 1
        b += len(line.encode("utf-8")) - 7
print("updates=%d update_bytes=%d" % (n, b))' "$work/events.txt")"
  echo "$1 $3 browser_cpu_s=$(awk -v a="$b0" -v b="$b1" 'BEGIN { printf "%.2f", b - a }') watch_jvm_cpu_s=$total server_cpu_s=$server $updates"
  rm -rf "$dir"
}

{
  echo "# $(date -u +%FT%TZ) load average: $(cut -d' ' -f1-3 /proc/loadavg); A=$a B=$b; replay over $seconds s"
  for ((r = 1; r <= rounds; r++)); do
    if ((r % 2)); then one A "$a" "$r"; one B "$b" "$r"; else one B "$b" "$r"; one A "$a" "$r"; fi
  done
  echo "# $(date -u +%FT%TZ) load average: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$raw"

python3 - "$raw" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if not l.startswith("#")]
val = lambda r, k: float(next(f for f in r if f.startswith(k + "=")).split("=")[1])
print("| jar | runs | browser cpu s | watch JVM cpu s | server threads cpu s | updates | bytes per update (mean) |")
print("|---|---|---|---|---|---|---|")
for jar in ("A", "B"):
    mine = [r for r in rows if r[0] == jar]
    med = lambda k: statistics.median(val(r, k) for r in mine)
    print("| %s | %d | %.2f | %.2f | %.2f | %.0f | %.0f |" % (jar, len(mine), med("browser_cpu_s"), med("watch_jvm_cpu_s"),
          med("server_cpu_s"), med("updates"), med("update_bytes") / max(1, med("updates"))))
PY
