#!/usr/bin/env bash
# The live view's cost, two builds side by side: bench/live-overhead.sh with one pair per setup, run ROUNDS times
# for each jar, the jars alternating round by round (A B B A A B ...) so that drift in the machine's load falls
# on both alike. Prints per jar and setup the median live/plain ratio of its pairs (and their range) and the
# median processor seconds of the live JVM, of its server threads and of the browser per live run.
#
#   bench/live-overhead-ab.sh OLD.jar NEW.jar [ROUNDS] [SETUPS]     (ROUNDS default 2; SETUPS as live-overhead.sh)
#
# Each round is 4 runs per jar (2 per setup), about 2 minutes for both jars on an idle machine (estimated); raw lines go to
# bench/results/live-overhead-ab-<time>.txt.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
a="${1:?usage: bench/live-overhead-ab.sh OLD.jar NEW.jar [ROUNDS] [SETUPS]}"
b="${2:?usage: bench/live-overhead-ab.sh OLD.jar NEW.jar [ROUNDS] [SETUPS]}"
rounds="${3:-2}"
setups="${4:-pinned unpinned}"
mkdir -p "$here/bench/results"
raw="$here/bench/results/live-overhead-ab-$(date -u +%Y%m%d-%H%M%S).txt"
{
  echo "# $(date -u +%FT%TZ) load average: $(cut -d' ' -f1-3 /proc/loadavg); A=$a B=$b"
  for ((r = 1; r <= rounds; r++)); do
    if ((r % 2)); then order=("A $a" "B $b"); else order=("B $b" "A $a"); fi
    for o in "${order[@]}"; do
      read -r label jar <<<"$o"
      JAR="$jar" "$here/bench/live-overhead.sh" 1 "$setups" | grep -E '^(pinned|unpinned) ' | sed "s/^/$label $r /"
    done
  done
  echo "# $(date -u +%FT%TZ) load average: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$raw"

python3 - "$raw" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if not l.startswith("#")]
val = lambda r, k: float(next(f for f in r if f.startswith(k + "=")).split("=")[1])
print("| jar | setup | pairs | live/plain, median of pairs (range) | live JVM cpu s | server threads cpu s | browser cpu s |")
print("|---|---|---|---|---|---|---|")
for jar in ("A", "B"):
    for setup in dict.fromkeys(r[2] for r in rows):
        pairs = {}
        for r in rows:
            if r[0] == jar and r[2] == setup:
                pairs.setdefault(r[1], {})[r[3]] = r
        ok = [p for p in pairs.values() if "plain" in p and "live" in p]
        if not ok:
            continue
        ratios = sorted(val(p["live"], "steps_per_s") / val(p["plain"], "steps_per_s") for p in ok)
        med = lambda k: statistics.median(val(p["live"], k) for p in ok)
        print("| %s | %s | %d | %.3f (%.3f-%.3f) | %.1f | %.2f | %.2f |" % (jar, setup, len(ok), statistics.median(ratios),
              ratios[0], ratios[-1], med("jvm_cpu_s"), med("server_cpu_s"), med("browser_cpu_s")))
PY
