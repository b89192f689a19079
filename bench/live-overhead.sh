#!/usr/bin/env bash
# Cost of the live view: training speed of `gradscale train CONFIG --live` with a headless Chromium showing the
# page, against the same run without the live view, in pairs alternated A/B in one session.
#
#   bench/live-overhead.sh [PAIRS] [SETUPS] [CONFIG]
#
# PAIRS (default 2: 8 runs, estimated at about 3 minutes on an idle 2-core machine, not yet timed idle) pairs per setup; SETUPS (default "pinned unpinned") is one or both of
#   pinned    the trainer's JVM on processor 0 (taskset -c 0), the browser on processor 1: the live view's
#             own JVM work (server, updates) is charged wholly to the trainer's processor, the browser's
#             drawing to the other one;
#   unpinned  both free on all processors: on a 2-core machine the browser's drawing, the trainer, its JIT
#             and garbage collector share two processors.
# Pairs alternate their order (plain first, then live first) and the setups alternate pair by pair, so that
# drift in the machine's load falls on both arms alike.
#
# The browser is started once per setup before the first run and stays open, idle, through the plain runs as
# through the live ones; a live run opens the page in a new tab of it as soon as the server answers and
# closes the tab after the run. So Chromium's own start (about 3.7 processor seconds, the same with an empty
# page) is no part of any run, as for a user whose browser is open already.
#
# Speed is steps per second from the run's first quarter to its last step, read from its metrics log
# (training only: no JVM start, no report writing; the JIT mostly warm). A live run counts only when the
# browser had the page loaded before that window began. Each pair gives the ratio live / plain; the table
# shows per setup the median of the pair ratios and their range, and the median processor seconds of the
# trainer's JVM, of the live view's server threads in it (gradscale-live-*) and of the browser during the
# run. Raw lines go to bench/results/live-overhead-<time>.txt. JAR=path skips the build and measures that
# jar (to compare versions). Needs Debian's chromium, curl, taskset and at least 2 processors for "pinned".
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
. "$here/.mvn/find-jdk.sh"
pairs="${1:-2}"
setups="${2:-pinned unpinned}"
config="${3:-$here/bench/live-overhead.yaml}"
# shellcheck source=bench/live-common.sh
. "$here/bench/live-common.sh"
jar="$(cli_jar)"
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC
      -Xmn256m -jar "$jar")
work="$(mktemp -d)"
declare -A browser debug
cleanup() {
  for s in "${!browser[@]}"; do kill "${browser[$s]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$here/bench/results"
results="$here/bench/results/live-overhead-$(date -u +%Y%m%d-%H%M%S).txt"

# steps per second of a run directory's metrics log from the step at the first quarter to the last one, and that step
rate() {
  python3 - "$1"/*/metrics.jsonl <<'PY'
import json, sys
steps = [json.loads(l) for l in open(sys.argv[1]) if '"type":"step"' in l]
a, b = steps[len(steps) // 4], steps[-1]
print("%.1f %d" % ((b["step"] - a["step"]) / (b["elapsedMillis"] - a["elapsedMillis"]) * 1000, a["step"]))
PY
}

# the last step written to a run directory's metrics log so far
last_step() {
  tail -n 1 "$1"/*/metrics.jsonl 2>/dev/null | python3 -c 'import json, sys; print(json.loads(sys.stdin.read()).get("step", 0))' 2>/dev/null || echo 0
}

start_browser() { # $1 = setup
  local port pin=()
  port="$(free_port)"
  if [ "$1" = pinned ]; then pin=(taskset -c 1); fi
  start_chromium "$work/profile-$1" "$port" "${pin[@]}"
  browser[$1]=$chromium_pid
  debug[$1]=$port
}

# one training run: $1 = setup, $2 = plain|live, $3 = name; prints one result line
run() {
  local setup="$1" kind="$2" out="$work/$3" port pin=() args=() from="" tab="" b0 b1 server="0.00" trainer
  port="$(free_port)"
  if [ "$setup" = pinned ]; then pin=(taskset -c 0); fi
  if [ "$kind" = live ]; then args=(--live --port "$port"); fi
  GRADSCALE_NO_PROGRESS=1 /usr/bin/time -f "%U %S" -o "$out.cpu" "${pin[@]}" "${java[@]}" train "$config" "${args[@]}" \
    --out "$out" >"$out.log" 2>&1 &
  trainer=$!
  local jvm=""
  if [ "$kind" = live ]; then
    until curl -s -o /dev/null "http://127.0.0.1:$port/"; do
      kill -0 "$trainer" 2>/dev/null || { cat "$out.log" >&2; exit 1; }
      sleep 0.1
    done
    jvm="$(pgrep -P "$trainer" java || true)"
    b0="$(cpu_tree "${browser[$setup]}")"
    tab="$(curl -s -X PUT "http://127.0.0.1:${debug[$setup]}/json/new?http://127.0.0.1:$port/" \
      | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')"
    # the window counts only if the page was loaded before it began (its title is set once the HTML is in)
    while kill -0 "$trainer" 2>/dev/null; do
      if curl -s "http://127.0.0.1:${debug[$setup]}/json/list" | grep -q '"title": "gradscale live'; then
        from="$(last_step "$out")"
        break
      fi
      sleep 0.2
    done
    # the server's threads, seen until the JVM exits
    while kill -0 "$trainer" 2>/dev/null; do
      local s
      s="$(server_seconds "$jvm")"
      if [ "$s" != "0.00" ]; then server="$s"; fi
      sleep 0.5
    done
  fi
  wait "$trainer"
  if [ "$kind" = live ]; then
    b1="$(cpu_tree "${browser[$setup]}")"
    curl -s -o /dev/null "http://127.0.0.1:${debug[$setup]}/json/close/$tab"
  fi
  local r
  read -r -a r <<<"$(rate "$out")"
  local status="$kind"
  if [ "$kind" = live ] && { [ -z "$from" ] || [ "$from" -ge "${r[1]}" ]; }; then status=live-unattached; fi
  echo "$setup $status $3 steps_per_s=${r[0]} jvm_cpu_s=$(awk '{ print $1 + $2 }' "$out.cpu")" \
    "server_cpu_s=$server browser_cpu_s=$(if [ "$kind" = live ]; then awk -v a="$b0" -v b="$b1" 'BEGIN { printf "%.2f", b - a }'; else echo 0; fi)"
  rm -rf "$out"
}

for s in $setups; do start_browser "$s"; done
{
  echo "# $(date -u +%FT%TZ) load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) processors; config $config"
  for ((i = 1; i <= pairs; i++)); do
    for s in $setups; do
      if ((i % 2)); then run "$s" plain "$s-$i-plain"; run "$s" live "$s-$i-live"
      else run "$s" live "$s-$i-live"; run "$s" plain "$s-$i-plain"; fi
    done
  done
  echo "# $(date -u +%FT%TZ) load average: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$results"

python3 - "$results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if not l.startswith("#")]
val = lambda r, k: float(next(f for f in r if f.startswith(k + "=")).split("=")[1])
if any(r[1] == "live-unattached" for r in rows):
    print("WARNING: in a live run the browser had not loaded the page before the measured window; its pair is left out")
print("| setup | pairs | plain steps/s | live steps/s | live/plain, median of pairs (range) | plain JVM cpu s | live JVM cpu s | server threads cpu s | browser cpu s |")
print("|---|---|---|---|---|---|---|---|---|")
for setup in dict.fromkeys(r[0] for r in rows):
    mine = [r for r in rows if r[0] == setup]
    pairs = {}
    for r in mine:
        pairs.setdefault(r[2].rsplit("-", 1)[0], {})[r[1]] = r
    ok = [p for p in pairs.values() if "plain" in p and "live" in p]
    if not ok:
        print("| %s | 0 | | | | | | | |" % setup)
        continue
    ratios = sorted(val(p["live"], "steps_per_s") / val(p["plain"], "steps_per_s") for p in ok)
    med = lambda k, kind: statistics.median(val(p[kind], k) for p in ok)
    print("| %s | %d | %.0f | %.0f | %.3f (%.3f-%.3f) | %.1f | %.1f | %.2f | %.2f |" % (
        setup, len(ok), med("steps_per_s", "plain"), med("steps_per_s", "live"), statistics.median(ratios),
        ratios[0], ratios[-1], med("jvm_cpu_s", "plain"), med("jvm_cpu_s", "live"), med("server_cpu_s", "live"),
        med("browser_cpu_s", "live")))
PY
