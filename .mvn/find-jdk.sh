# Sourced (POSIX sh) by ./mvnw, ./gradscale and .ci/run: makes JAVA_HOME point at a JDK of version 21 or newer.
# Keeps JAVA_HOME when it already qualifies; otherwise picks the newest qualifying JDK among the one of `java` on
# PATH and those under /usr/lib/jvm, /opt/java and macOS's JavaVirtualMachines. Silent when it succeeds.
# The major version of the JDK in $1: from its `release` file (JAVA_VERSION="25.0.3", "21", "1.8.0_442"), which every
# JDK since 9 ships, so that no JVM is started per candidate (each start costs 0.1-0.3 s, and every ./gradscale run
# sources this file); asked of the JVM itself only when the file is missing.
gradscale_java_major() {
  if [ -f "$1/release" ]; then
    gradscale_rv=$(sed -n 's/^JAVA_VERSION="\{0,1\}\([0-9][0-9._]*\).*/\1/p' "$1/release" | head -n 1)
    if [ -n "$gradscale_rv" ]; then
      echo "$gradscale_rv" | awk -F. '{print ($1 == "1" ? $2 : $1)}'
      return 0
    fi
  fi
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | awk -F'= ' '/java.specification.version/ {split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit}'
}

gradscale_pick_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    gradscale_v=$(gradscale_java_major "$JAVA_HOME")
    if [ -n "$gradscale_v" ] && [ "$gradscale_v" -ge 21 ] 2>/dev/null; then
      echo "$JAVA_HOME"
      return 0
    fi
  fi
  gradscale_best=""
  gradscale_bestv=0
  # the caller (./mvnw) may run with globbing off (set -f); the search below needs it
  gradscale_noglob=0
  case $- in *f*) gradscale_noglob=1; set +f ;; esac
  gradscale_onpath=""
  if command -v java >/dev/null 2>&1; then
    gradscale_onpath=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
  fi
  for gradscale_c in $gradscale_onpath /usr/lib/jvm/* /opt/java/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -x "$gradscale_c/bin/java" ] && [ -x "$gradscale_c/bin/javac" ] || continue
    gradscale_v=$(gradscale_java_major "$gradscale_c")
    if [ -n "$gradscale_v" ] && [ "$gradscale_v" -ge 21 ] 2>/dev/null && [ "$gradscale_v" -gt "$gradscale_bestv" ]; then
      gradscale_best="$gradscale_c"
      gradscale_bestv="$gradscale_v"
    fi
  done
  [ "$gradscale_noglob" = 1 ] && set -f
  [ -n "$gradscale_best" ] && echo "$gradscale_best"
}

if gradscale_jdk=$(gradscale_pick_jdk); then
  JAVA_HOME="$gradscale_jdk"
  export JAVA_HOME
else
  echo "gradscale needs a JDK of version 21 or newer; none found in JAVA_HOME, on PATH or under /usr/lib/jvm." >&2
  echo "Install one (e.g. apt-get install openjdk-21-jdk-headless) or set JAVA_HOME to it." >&2
fi
unset gradscale_rv gradscale_noglob gradscale_jdk gradscale_v gradscale_best gradscale_bestv gradscale_onpath gradscale_c
