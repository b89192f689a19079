#!/usr/bin/env bash
# The end-to-end workload of run-e2e.sh, this checkout's ./gradscale against another checkout's (e.g. the commit before a
# change) and against PyTorch, alternated within each round (this, other, PyTorch), so that a loaded machine disturbs
# the three alike. Whole-run wall and CPU seconds (user + system) from /usr/bin/time; ratios to PyTorch per round.
#
#   git worktree add /tmp/gradscale-before <commit>      # the other checkout, once
#   bench/run-e2e-ab.sh /tmp/gradscale-before [ROUNDS]   # default 3 rounds
#
# Both launchers run once untimed first on examples/digits-mlp.yaml: each builds its jar if needed and makes its
# start-up cache if it has one, as a user's first training run would. Raw lines go to bench/results/e2e-ab-<time>.txt.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
other="$(cd "${1:?usage: bench/run-e2e-ab.sh OTHER_CHECKOUT [ROUNDS]}" && pwd)"
rounds="${2:-3}"
data="$here/bench/target/e2e-data"
config=bench/e2e/mnist-like-mlp.yaml
[ -f "$other/$config" ] || { echo "$other has no $config: give a checkout with the e2e workload (issue 16)" >&2; exit 2; }
if ! /usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1; then
  echo "run-e2e-ab.sh needs Debian's python3-torch and python3-numpy for /usr/bin/python3" >&2
  exit 2
fi
[ -f "$data/t10k-labels-idx1-ubyte" ] || /usr/bin/python3 "$here/bench/python/make_mnist_like.py" "$data"
mkdir -p "$other/bench/target"
[ -e "$other/bench/target/e2e-data" ] || ln -s "$data" "$other/bench/target/e2e-data"
openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
torch_env=()
[ -f "$openblas" ] && torch_env=(OPENBLAS_NUM_THREADS=1 LD_PRELOAD="$openblas")
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for co in "$here" "$other"; do
  (cd "$work" && "$co/gradscale" train "$co/examples/digits-mlp.yaml" --out "$work/warm-up" > "$work/warm-up.txt" 2>&1) \
    || { cat "$work/warm-up.txt" >&2; exit 1; }
done
mkdir -p "$here/bench/results"
out="$here/bench/results/e2e-ab-$(date +%Y%m%d-%H%M%S).txt"
{
  echo "# this: $here ($(git -C "$here" log -1 --format=%h 2>/dev/null || echo ?)); other: $other ($(git -C "$other" log -1 --format=%h 2>/dev/null || echo ?))"
  echo "# load before: $(uptime)"
} > "$out"
for ((r = 1; r <= rounds; r++)); do
  for side in this other torch; do
    rm -rf "$work/runs"
    case "$side" in
      this) (cd "$here" && /usr/bin/time -f '%e %U %S' -o "$work/time" ./gradscale train "$config" --threads 1 --out "$work/runs" > "$work/console" 2>&1) ;;
      other) (cd "$other" && /usr/bin/time -f '%e %U %S' -o "$work/time" ./gradscale train "$config" --threads 1 --out "$work/runs" > "$work/console" 2>&1) ;;
      torch) env "${torch_env[@]}" /usr/bin/time -f '%e %U %S' -o "$work/time" /usr/bin/python3 "$here/bench/python/e2e_torch.py" "$data" 1 > "$work/console" 2>&1 ;;
    esac || { cat "$work/console" >&2; exit 1; }
    read -r wall user sys < "$work/time"
    echo "round=$r side=$side wall_s=$wall cpu_s=$(python3 -c "print(round($user + $sys, 2))")" | tee -a "$out" >&2
  done
done
echo "# load after: $(uptime)" >> "$out"
grep '^#' "$out"
echo
python3 - "$out" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r"round=(\d+) side=(\w+) (.*)", line)
    if m:
        runs.setdefault(m.group(2), {})[int(m.group(1))] = dict(kv.split("=", 1) for kv in m.group(3).split())
rounds = sorted(runs["torch"])
print(f"| whole run ({len(rounds)} rounds) | this | other | PyTorch | this / PyTorch (per round; median) | other / PyTorch (per round; median) |")
print("|---|---|---|---|---|---|")
for key, name in (("wall_s", "wall, s"), ("cpu_s", "CPU (user + system), s")):
    med = {s: statistics.median(float(runs[s][r][key]) for r in rounds) for s in runs}
    cells = []
    for s in ("this", "other"):
        rs = [float(runs[s][r][key]) / float(runs["torch"][r][key]) for r in rounds]
        cells.append(", ".join(f"{x:.2f}" for x in rs) + f"; **{statistics.median(rs):.2f}**")
    print(f"| {name} | {med['this']:.2f} | {med['other']:.2f} | {med['torch']:.2f} | {cells[0]} | {cells[1]} |")
PY
