#!/usr/bin/env bash
# Sourced by the live view's bench scripts (live-overhead.sh, live-interleaved.sh, live-watch-cost.sh), after they set
# $here: the pieces they share. Not run on its own.

# a free TCP port on the loopback address
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# the cli jar to measure: $JAR when set (to compare versions), else this checkout's, built first
cli_jar() {
  if [ -n "${JAR:-}" ]; then
    echo "$JAR"
    return
  fi
  (cd "$here" && ./mvnw -q -o -B -DskipTests -pl cli -am package) >&2
  echo "$here/cli/target/gradscale.jar"
}

# start_chromium PROFILE_DIR DEBUG_PORT [PREFIX ...]: a headless Chromium in the background, run through PREFIX (e.g.
# taskset -c 1) when given, with a laptop's screen of page (the charts out of view are drawn when they scroll into
# it); returns once its debugging port answers, with its pid in $chromium_pid
start_chromium() {
  local profile="$1" port="$2"
  shift 2
  "$@" /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run \
    --disable-component-update --disable-sync --window-size=1400,900 --user-data-dir="$profile" \
    --remote-debugging-port="$port" about:blank >/dev/null 2>&1 &
  chromium_pid=$!
  until curl -s -o /dev/null "http://127.0.0.1:$port/json/version"; do sleep 0.2; done
}

# processor seconds (user + system) of a process and its descendants so far
cpu_tree() {
  local pids
  pids="$(pstree -p -T "$1" 2>/dev/null | grep -o '([0-9]*)' | tr -d '()')"
  # a process may end while it is read: whatever was read counts
  for p in $pids; do cat "/proc/$p/stat" 2>/dev/null || true; done \
    | awk -v hz="$(getconf CLK_TCK)" '{ t += $14 + $15 } END { printf "%.2f", t / hz }'
}

# processor seconds of the threads of process $1 whose names start with "gradscale-live" (the live view's), as last seen
server_seconds() {
  { cat "/proc/$1/task/"*/stat 2>/dev/null || true; } \
    | awk -v hz="$(getconf CLK_TCK)" '/\(gradscale-live/ { n = split($0, f, ") "); split(f[n], g, " "); t += g[12] + g[13] }
                                      END { printf "%.2f", t / hz }'
}
