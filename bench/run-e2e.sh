#!/usr/bin/env bash
# End-to-end training, gradscale's CLI against the same run in PyTorch (issue 16): an MLP 784-256-128-10 (ReLU, He
# init) on MNIST-shaped IDX files, Adam (lr 1e-3) after global-norm clipping at 1.0, mini-batches of 64, 5 epochs,
# 20 % held out for validation after each epoch, the test set once at the end.
#
#   bench/run-e2e.sh [ROUNDS]          default: 3 rounds, each gradscale then PyTorch
#
# The data: bench/python/make_mnist_like.py writes 60 000 + 10 000 images of 28x28 into bench/target/e2e-data (once;
# the same bytes every time). gradscale runs `train bench/e2e/mnist-like-mlp.yaml` through the launcher
# (./gradscale: its JVM flags, monitoring, metrics log, progress bar, report and diagnosis at their defaults);
# PyTorch runs bench/python/e2e_torch.py. Each run is a fresh process timed from the shell (wall and CPU seconds);
# its phases come from the run itself:
#   before training: process start to the first step (JVM or interpreter start, imports, reading the files, the
#                    split, building the model); gradscale: `process` minus `training` of its time line
#   training:        the epoch loop with the validation after each epoch; gradscale: `training` of its time line
#   after training:  the rest of the wall time: the test evaluation, process exit, and for gradscale the
#                    diagnosis, the report and the checkpoint, and also the launcher's shell work before its JVM
#                    starts (finding the JDK, the jar's freshness check), which the JVM's clock cannot see
# The launcher's start-up cache (an AOT cache on JDK 25, made by the first training command after a build): before
# the rounds, one untimed run of examples/digits-mlp.yaml (another model, on the 8x8 digits) makes it if it is
# missing, as a user's first training run would; GRADSCALE_AOT=off runs without it.
# Environment: THREADS (compute threads of both sides, default 1), TORCH_BLAS as in run-steps.sh.
# RESULT lines go to bench/results/e2e-<time>.txt, then one table: the median over rounds of each phase and of the
# ratio gradscale / PyTorch taken round by round.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
. "$here/.mvn/find-jdk.sh"
rounds="${1:-3}"
threads="${THREADS:-1}"
data="$here/bench/target/e2e-data"
config="$here/bench/e2e/mnist-like-mlp.yaml"

if ! /usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1; then
  echo "run-e2e.sh needs Debian's python3-torch and python3-numpy for /usr/bin/python3" >&2
  exit 2
fi
(cd "$here" && ./mvnw -q -o -B -DskipTests -pl cli -am package) >&2
[ -f "$data/t10k-labels-idx1-ubyte" ] || /usr/bin/python3 "$here/bench/python/make_mnist_like.py" "$data"

openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
torch_blas="${TORCH_BLAS:-$([ -f "$openblas" ] && echo openblas || echo system)}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && "$here/gradscale" train "$here/examples/digits-mlp.yaml" --out "$work/warm-up" > "$work/warm-up.txt" 2>&1) \
  || { cat "$work/warm-up.txt" >&2; exit 1; }
rm -rf "$work/warm-up"
aot_cache=$(ls "$here"/cli/target/aot/gradscale-* 2>/dev/null | head -n 1 || true)
mkdir -p "$here/bench/results"
out="$here/bench/results/e2e-$(date +%Y%m%d-%H%M%S).txt"
{
  echo "# $(date -Is) $(uname -srm)"
  echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(nproc) cores"
  echo "# java: $("$JAVA_HOME/bin/java" -version 2>&1 | head -1); torch: $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), BLAS: $torch_blas"
  echo "# gradscale start-up cache: ${aot_cache:-none} (GRADSCALE_AOT=${GRADSCALE_AOT:-auto})"
  echo "# load before: $(uptime)"
} > "$out"

for ((r = 1; r <= rounds; r++)); do
  # gradscale: the launcher, from a scratch directory (the run directory goes under it)
  (cd "$work" && /usr/bin/time -f 'TIME %e %U %S' -o "$work/time" "$here/gradscale" train "$config" --threads "$threads" \
      > "$work/console" 2>&1) || { cat "$work/console" >&2; exit 1; }
  read -r _ wall user sys < "$work/time"
  line=$(grep '^time: training' "$work/console")
  training=$(sed -E 's/^time: training ([0-9.]+) s.*/\1/' <<< "$line")
  process=$(sed -E 's/.*; process ([0-9.]+) s.*/\1/' <<< "$line")
  first=$(sed -E 's/.*first step ([0-9.]+) s.*/\1/' <<< "$line")
  acc=$(sed -nE 's/^test .*accuracy ([0-9.]+)%.*/\1/p' "$work/console")
  echo "round=$r RESULT impl=gradscale threads=$threads before_s=$(python3 -c "print(round($process - $training, 3))") train_s=$training first_step_s=$first after_s=$(python3 -c "print(round($wall - $process, 3))") wall_s=$wall cpu_s=$(python3 -c "print(round($user + $sys, 2))") test_acc=$acc" | tee -a "$out" >&2
  rm -rf "$work/runs"

  if [ "$torch_blas" = openblas ]; then
    env=(OPENBLAS_NUM_THREADS="$threads" LD_PRELOAD="$openblas")
  else
    env=()
  fi
  res=$(env "${env[@]}" /usr/bin/time -f 'TIME %e %U %S' -o "$work/time" /usr/bin/python3 "$here/bench/python/e2e_torch.py" "$data" "$threads")
  read -r _ wall user sys < "$work/time"
  python3 - "$r" "$res" "$wall" "$user" "$sys" <<'PY' | tee -a "$out" >&2
import sys
r, res, wall, user, sys_ = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
f = dict(kv.split("=", 1) for kv in res.split()[1:])
load, train, ev, total = (float(f[k]) for k in ("load_s", "train_s", "eval_s", "total_s"))
before = total - train - ev
print(f"round={r} RESULT impl=torch threads={f['threads']} before_s={before:.3f} load_s={load:.3f} train_s={train:.3f} "
      f"after_s={wall - before - train:.3f} wall_s={wall} cpu_s={user + sys_:.2f} test_acc={100 * float(f['test_acc']):.2f}")
PY
done
echo "# load after: $(uptime)" >> "$out"
echo "Raw results: $out" >&2
grep '^#' "$out"
echo
python3 - "$out" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r"round=(\d+) RESULT impl=(\w+) (.*)", line)
    if m:
        runs.setdefault(m.group(2), {})[int(m.group(1))] = dict(kv.split("=", 1) for kv in m.group(3).split())
g, t = runs["gradscale"], runs["torch"]
both = sorted(set(g) & set(t))
print(f"| phase (seconds, median of {len(both)} rounds) | gradscale | PyTorch | ratio (median of per-round ratios) |")
print("|---|---|---|---|")
for key, name in (("before_s", "before training (start, imports, reading the files, split, model)"),
                  ("train_s", "training (5 epochs, validation after each)"),
                  ("after_s", "after training (test set, exit; gradscale: diagnosis, report, and the launcher before its JVM)"),
                  ("wall_s", "**whole run, wall**"), ("cpu_s", "whole run, CPU (user + system)")):
    gs = [float(g[r][key]) for r in both]
    ts = [float(t[r][key]) for r in both]
    ratio = statistics.median(a / b for a, b in zip(gs, ts))
    print(f"| {name} | {statistics.median(gs):.2f} | {statistics.median(ts):.2f} | {ratio:.2f} |")
print(f"| gradscale's first step (JIT warm-up, inside training) | {statistics.median(float(g[r]['first_step_s']) for r in both):.2f} | | |")
print(f"| test accuracy, % | {statistics.median(float(g[r]['test_acc']) for r in both):.2f} | "
      f"{statistics.median(float(t[r]['test_acc']) for r in both):.2f} | |")
PY
