# shellcheck shell=bash
# Sourced by the benches: what they read of a process tree.

# tree_mem PID: "PSS RSS" in MiB, summed over the process and its children (the app
# and WebKit's processes), from /proc/PID/smaps_rollup.
tree_mem() {
  local pss=0 rss=0 q a b
  for q in $1 $(pgrep -P "$1"); do
    read -r a b < <(awk '/^Pss:/{p=$2} /^Rss:/{r=$2} END{print p+0, r+0}' "/proc/$q/smaps_rollup" 2>/dev/null || echo 0 0)
    pss=$((pss + a)); rss=$((rss + b))
  done
  echo "$((pss / 1024)) $((rss / 1024))"
}
