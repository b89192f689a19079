#!/usr/bin/env bash
# Steady-state cost of a browser attached to the live view, measured within one run so that the host's speed drift
# (up to 1.7x from one second to the next on the development VM) falls on both arms alike: one long `train --live`
# (the trainer's JVM pinned to processor 0), and a headless Chromium on processor 1 that opens the page for PHASE
# seconds, closes it for PHASE seconds, and so on. Speed is steps per second within each phase, from the step
# records' own clocks, leaving out each phase's first second (the page's load and its first full state). The
# table gives each attached phase against the mean of the detached phases on either side of it.
#
#   bench/live-interleaved.sh [PHASES] [PHASE_SECONDS]
#   PLAIN=1 bench/live-interleaved.sh [PHASES] [PHASE_SECONDS]   the same run and phases without --live or a browser:
#                                                               the processor shares to set the live run's against
#
# PHASES (default 8: four attached, four detached), after a detached warm-up of 3 x PHASE_SECONDS, left out: pinned
# to one processor, the trainer shares it with the JIT's compiler threads for its first 10-20 seconds, and runs at
# about 6 000 steps/s then and 15 000 after (which is what bench/live-overhead.sh's 8-second runs measure).
# What this leaves out, by design: the one-off costs of --live (the server's start, before training; compiling
# the live path the first time a page is served), which bench/live-overhead.sh includes.
#
# A second table does not depend on the host's speed at all: at each phase's start and end the script reads every
# thread's processor time from /proc (utime + stime of /proc/PID/task/*/stat), grouped by thread name: the training
# thread ("java", the launcher's main thread), the live view's threads ("gradscale-live-": the HTTP server's pool and
# the publisher), the JIT's compilers, the collector and the rest. Pinned, all of them share processor 0, so the
# share of the processor's time the training thread got is its speed relative to having the processor alone, whatever
# the host's instructions per second; an attached browser costs training the share the live threads (and any extra
# collection and compilation) take from it. Its first second is left out as above.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
. "$here/.mvn/find-jdk.sh"
phases="${1:-8}"
phase="${2:-6}"
# shellcheck source=bench/live-common.sh
. "$here/bench/live-common.sh"
jar="$(cli_jar)"
taskset -cp 1 $$ >/dev/null  # this script and what it starts (curl, python) on processor 1, beside the browser
work="$(mktemp -d)"
cleanup() { kill "${chrome:-}" "${trainer:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
debug="$(free_port)"
port="$(free_port)"
plain="${PLAIN:-0}"
live=(--live --port "$port")
[ "$plain" = 1 ] && live=()
if [ "$plain" != 1 ]; then
  start_chromium "$work/profile" "$debug" taskset -c 1
  chrome=$chromium_pid
fi
# more than enough for the warm-up and PHASES phases at 20 000 steps/s (50 steps an epoch); stopped after them
warmup=$((3 * phase))
epochs=$(( (phases * phase + warmup + 10) * 20000 / 50 ))
sed "s/^  epochs: .*/  epochs: $epochs/" "$here/bench/live-overhead.yaml" > "$work/run.yaml"
GRADSCALE_NO_PROGRESS=1 taskset -c 0 "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -XX:+UseParallelGC -Xmn256m -jar "$jar" train "$work/run.yaml" "${live[@]}" --out "$work/runs" >"$work/log" 2>&1 &
trainer=$!
# started: the page answers (live) or the metrics log has its first step (plain)
until if [ "$plain" = 1 ]; then grep -qs '"type":"step"' "$work"/runs/*/metrics.jsonl; else curl -s -o /dev/null "http://127.0.0.1:$port/"; fi; do
  kill -0 "$trainer" 2>/dev/null || { cat "$work/log" >&2; exit 1; }
  sleep 0.1
done
# phase boundaries as wall-clock milliseconds; the step records carry their own clock, matched below by the first step
now_ms() { date +%s%3N; }
# every thread's name and processor ticks, one "MILLIS name<TAB>ticks" line per thread, appended to $work/cpu
cpu_mark() {
  python3 - "$trainer" >> "$work/cpu" <<'PY'
import glob, sys, time
stats = glob.glob("/proc/%s/task/*/stat" % sys.argv[1])
ms = int(time.time() * 1000)  # taken at the reading, not before the interpreter started
for stat in stats:
    try:
        text = open(stat).read()
    except OSError:
        continue  # a thread that ended
    name = text[text.index("(") + 1:text.rindex(")")]
    fields = text[text.rindex(")") + 2:].split()
    print("%s %s\t%d" % (ms, name, int(fields[11]) + int(fields[12])))
PY
}
echo "start $(now_ms)" > "$work/phases"
sleep "$warmup"  # detached, while the JIT compiles the training step (pinned, it shares the trainer's processor)
for ((i = 0; i < phases; i++)); do
  if [ "$plain" = 1 ]; then
    echo "plain $(now_ms)" >> "$work/phases"
  elif ((i % 2 == 0)); then
    tab="$(curl -s -X PUT "http://127.0.0.1:$debug/json/new?http://127.0.0.1:$port/" \
      | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')"
    echo "attached $(now_ms)" >> "$work/phases"
  else
    curl -s -o /dev/null "http://127.0.0.1:$debug/json/close/$tab"
    echo "detached $(now_ms)" >> "$work/phases"
  fi
  sleep 1
  cpu_mark   # the phase's processor times, from its second second to its end
  sleep "$((phase - 1))"
  cpu_mark
done
echo "end $(now_ms)" >> "$work/phases"
kill "$trainer" 2>/dev/null || true
wait "$trainer" 2>/dev/null || true
python3 - "$work/phases" "$work/cpu" "$(getconf CLK_TCK)" "$work"/runs/*/metrics.jsonl <<'PY'
import datetime, json, statistics, sys
marks = [(l.split()[0], int(l.split()[1])) for l in open(sys.argv[1])]
def parse(l):
    try:
        return json.loads(l)
    except ValueError:
        return {}  # the last line, cut when the run was stopped
lines = [parse(l) for l in open(sys.argv[4])]
header = next(r for r in lines if r.get("type") == "header")
# a record's wall time: the run's start (its provenance, taken just before the first step) plus the record's own clock
start = datetime.datetime.fromisoformat(header["startedAt"].replace("Z", "+00:00")[:26] + "+00:00").timestamp() * 1000
steps = [(start + r["elapsedMillis"], r["step"]) for r in lines if r.get("type") == "step"]
def rate(t0, t1):
    inside = [s for s in steps if t0 <= s[0] <= t1]
    if len(inside) < 2:
        return float("nan")
    (a, sa), (b, sb) = inside[0], inside[-1]
    return (sb - sa) / (b - a) * 1000
# each phase without its first second
phases = [(marks[k][0], rate(marks[k][1] + 1000, marks[k + 1][1])) for k in range(1, len(marks) - 1)]
print("| phase | kind | steps/s |")
print("|---|---|---|")
for k, (kind, r) in enumerate(phases):
    print("| %d | %s | %.0f |" % (k + 1, kind, r))
ratios = []
for k, (kind, r) in enumerate(phases):
    if kind == "attached":
        around = [phases[j][1] for j in (k - 1, k + 1) if 0 <= j < len(phases) and phases[j][0] == "detached"]
        if around:
            ratios.append(r / statistics.mean(around))
if ratios:
    print("attached / detached on either side: %s; median %.3f" % (", ".join("%.3f" % x for x in ratios), statistics.median(ratios)))

# processor shares: two marks per phase, at its second second and at its end
tick = 1000.0 / float(sys.argv[3])
def group(name):
    if name == "java":
        return "training"
    if name.startswith("gradscale-live"):
        return "live"
    if "Compiler" in name:
        return "jit"
    if name.startswith("GC Thread") or name.startswith("VM Thread") or name.startswith("G1") or name.startswith("Par"):
        return "gc+vm"
    return "other"
snaps = {}
for l in open(sys.argv[2]):
    head, ticks = l.rstrip("\n").rsplit("\t", 1)
    ms, name = head.split(" ", 1)
    if ticks.strip():
        snaps.setdefault(int(ms), {}).setdefault(group(name), 0)
        snaps[int(ms)][group(name)] += int(float(ticks))
times = sorted(snaps)
kinds = [kind for kind, _ in phases]
groups = ["training", "live", "jit", "gc+vm", "other"]
print()
print("| phase | kind | " + " | ".join(g + " % of the processor" for g in groups) + " |")
print("|---|---|" + "---|" * len(groups))
shares = []
for k in range(min(len(kinds), len(times) // 2)):
    a, b = snaps[times[2 * k]], snaps[times[2 * k + 1]]
    wall = times[2 * k + 1] - times[2 * k]
    sh = {g: 100.0 * (b.get(g, 0) - a.get(g, 0)) * tick / wall for g in groups}
    shares.append((kinds[k], sh))
    print("| %d | %s | " % (k + 1, kinds[k]) + " | ".join("%.1f" % sh[g] for g in groups) + " |")
cost = []
for k, (kind, sh) in enumerate(shares):
    if kind == "attached":
        around = [shares[j][1]["training"] for j in (k - 1, k + 1) if 0 <= j < len(shares) and shares[j][0] == "detached"]
        if around:
            cost.append(sh["training"] / statistics.mean(around))
if cost:
    print("training thread's share attached / detached on either side: %s; median %.3f, mean %.3f"
          % (", ".join("%.3f" % x for x in cost), statistics.median(cost), statistics.mean(cost)))
# the steady state: phases in which the JIT took under 1 % of the processor. "training of the JVM's" is the training
# thread's part of the processor time all the JVM's threads but the compilers used: what the live view's threads and
# the collector leave it, free of the few-percent jitter in each phase's total (tick rounding, other processes).
for kind in sorted(set(kinds)):
    steady = [sh for kd, sh in shares if kd == kind and sh["jit"] < 1.0]
    if steady:
        own = [100.0 * sh["training"] / sum(sh[g] for g in groups if g != "jit") for sh in steady]
        print("%s, %d phases with the JIT under 1 %%: median share %s; training of the JVM's (without the JIT) %.2f %% (%.2f-%.2f)"
              % (kind, len(steady), ", ".join("%s %.1f %%" % (g, statistics.median([sh[g] for sh in steady])) for g in groups),
                 statistics.median(own), min(own), max(own)))
PY
