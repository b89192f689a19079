#!/usr/bin/env bash
# Cost of the live view: training speed of `gradscale train CONFIG --live` with a headless Chromium
# showing the page, against the same run without the live view, alternated A/B in one session.
#
#   bench/live-overhead.sh [ROUNDS] [CONFIG]
#
# ROUNDS (default 3) pairs of runs, each pair in alternating order (plain first, then live first).
# Speed is steps per second over the second half of each run, read from its metrics log (training only:
# no JVM start, no report writing, the JIT warmed up); a live run counts only when the browser had loaded
# the page before that half began (from_step, the step at which it had). Prints one line per run (for live runs also the processor seconds the browser used
# and the training's wall seconds) and the ratio of the medians; the raw lines go to
# bench/results/live-overhead-<time>.txt.
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

# wall seconds of training (first to last step) of a run directory
train_seconds() {
  python3 - "$1"/*/metrics.jsonl <<'PY'
import json, sys
steps = [json.loads(l) for l in open(sys.argv[1]) if '"type":"step"' in l]
print("%.1f" % ((steps[-1]["elapsedMillis"] - steps[0]["elapsedMillis"]) / 1000))
PY
}

# the step in the middle of a run directory's metrics log
half_step() {
  python3 - "$1"/*/metrics.jsonl <<'PY'
import json, sys
steps = [json.loads(l) for l in open(sys.argv[1]) if '"type":"step"' in l]
print(steps[len(steps) // 2]["step"])
PY
}

# the last step written to a run directory's metrics log so far
last_step() {
  tail -n 1 "$1"/*/metrics.jsonl 2>/dev/null | python3 -c 'import json, sys; print(json.loads(sys.stdin.read()).get("step", 0))' 2>/dev/null || echo 0
}

# processor seconds (user + system) of a process and its descendants so far
cpu_seconds() {
  local pids
  pids="$(pstree -p -T "$1" 2>/dev/null | grep -o '([0-9]*)' | tr -d '()')"
  for p in $pids; do cat "/proc/$p/stat" 2>/dev/null; done \
    | awk -v hz="$(getconf CLK_TCK)" '{ t += $14 + $15 } END { printf "%.1f", t / hz }'
}

plain() {
  local out="$work/plain-$1"
  GRADSCALE_NO_PROGRESS=1 /usr/bin/time -f "%U %S" -o "$out.cpu" "${java[@]}" train "$config" --out "$out" >"$out.log" 2>&1
  echo "plain $(rate "$out") jvm_cpu_s=$(awk '{ print $1 + $2 }' "$out.cpu")"
}

live() {
  local out="$work/live-$1" port debug from="" cpu_browser
  port="$(free_port)"
  debug="$(free_port)"
  GRADSCALE_NO_PROGRESS=1 /usr/bin/time -f "%U %S" -o "$out.cpu" "${java[@]}" train "$config" --live --port "$port" \
    --out "$out" >"$out.log" 2>&1 &
  local trainer=$!
  until curl -s -o /dev/null "http://127.0.0.1:$port/"; do
    kill -0 "$trainer" 2>/dev/null || { cat "$out.log" >&2; exit 1; }
    sleep 0.1
  done
  /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run \
    --disable-component-update --disable-sync --user-data-dir="$work/profile-$1" --remote-debugging-port="$debug" \
    "http://127.0.0.1:$port/" >/dev/null 2>&1 &
  browser=$!
  # speed counts from the moment the page is loaded and drawing (its title is set, its charts exist)
  while kill -0 "$trainer" 2>/dev/null; do
    if curl -s "http://127.0.0.1:$debug/json/list" | grep -q '"title": "gradscale live'; then
      from="$(last_step "$out")"
      break
    fi
    sleep 0.2
  done
  wait "$trainer"
  cpu_browser="$(cpu_seconds "$browser")"
  kill "$browser" 2>/dev/null || true
  wait "$browser" 2>/dev/null || true
  browser=""
  if [ -z "$from" ] || [ "$from" -ge "$(half_step "$out")" ]; then
    echo "live-unattached $(rate "$out")"
  else
    echo "live $(rate "$out") jvm_cpu_s=$(awk '{ print $1 + $2 }' "$out.cpu") browser_cpu_s=$cpu_browser from_step=$from train_s=$(train_seconds "$out")"
  fi
}

for ((i = 1; i <= rounds; i++)); do
  if ((i % 2)); then plain "$i"; live "$i"; else live "$i"; plain "$i"; fi
done | tee "$results"

python3 - "$results" <<'PY'
import statistics, sys
runs = [l.split() for l in open(sys.argv[1])]
plain = [float(r[1]) for r in runs if r[0] == "plain"]
live = [float(r[1]) for r in runs if r[0] == "live"]
if any(r[0] == "live-unattached" for r in runs):
    print("WARNING: in a live run the browser had not loaded the page by mid-run; it is left out")
p, l = statistics.median(plain), statistics.median(live)
print("median steps/s: plain %.1f, live + browser %.1f; live/plain %.3f (%+.1f %%)" % (p, l, l / p, 100 * (l / p - 1)))
# Processor time is what the live view takes from training on a machine whose cores are all busy; it is far
# less noisy there than wall time.
cpu = lambda r, k: float(next(f for f in r if f.startswith(k + "=")).split("=")[1])
pc = statistics.median(cpu(r, "jvm_cpu_s") for r in runs if r[0] == "plain")
lc = statistics.median(cpu(r, "jvm_cpu_s") for r in runs if r[0] == "live")
bc = statistics.median(cpu(r, "browser_cpu_s") for r in runs if r[0] == "live")
print("median processor seconds per run: plain JVM %.1f; live JVM %.1f (%+.1f %%), browser %.1f; live JVM + browser %+.1f %%"
      % (pc, lc, 100 * (lc / pc - 1), bc, 100 * ((lc + bc) / pc - 1)))
PY
