#!/usr/bin/env bash
# The desktop app's memory in the tray and with its window, whole process trees (the
# app and WebKit's processes: PSS and RSS from /proc/PID/smaps_rollup), and the time
# to an interactive page when the window is made again. Run by `cargo xtask
# bench-tray` on the shipping build; no vault (the first-run screen), under Xvfb with
# openbox (to close the window as a person does) on a private D-Bus session.
# usage: benches/tray.sh APP_BINARY
set -u
bin=$1
home=$(mktemp -d)
exec 3< <(Xvfb -displayfd 1 -screen 0 1200x800x24 2>/dev/null & echo "pid $!")
read -r _ X <&3
read -r n <&3 || true
sleep 1
BENCHES=$(cd "$(dirname "$0")" && pwd)
export BENCHES DISPLAY=:${n:-78} HOME=$home TOKENWARDEN_VAULT=$home/v/vault.age TOKENWARDEN_STATE_DIR=$home/state TOKENWARDEN_READY_FILE=$home/ready
dbus-run-session -- bash -c '
openbox >/dev/null 2>&1 & 
sleep 1
. "$BENCHES/proc.sh"
mem() { # pid -> what the bench prints: PSS and RSS of the tree, and its children
  read -r pss rss < <(tree_mem "$1")
  echo "PSS $pss MiB, RSS $rss MiB ($(pgrep -l -P "$1" | awk "{print \$2}" | tr "\n" " "))"
}
"$0" --minimized >/dev/null 2>&1 & P=$!
# A tray image gives back its start-up pages 8 s after it starts (handover.rs): the
# figure that lasts is the one a minute later.
sleep 6; echo "tray from login, 6 s: $(mem $P)"
sleep 64; echo "tray from login, 70 s: $(mem $P)"
"$0" >/dev/null 2>&1
for i in $(seq 100); do [ -f $TOKENWARDEN_READY_FILE ] && break; sleep 0.1; done
echo "first window interactive: $(cat $TOKENWARDEN_READY_FILE)"
sleep 5; echo "window open: $(mem $P)"
rm -f $TOKENWARDEN_READY_FILE
# Five quiet seconds after the close the app re-executes itself in the tray (a fresh
# image, the vault handed over: src-tauri/src/handover.rs), which gives back its
# start-up pages 8 s later.
wmctrl -c Tokenwarden; sleep 12; echo "window closed, 12 s: $(mem $P)"
sleep 63; echo "window closed, 75 s: $(mem $P)"
"$0" >/dev/null 2>&1
for i in $(seq 100); do [ -f $TOKENWARDEN_READY_FILE ] && break; sleep 0.1; done
echo "reopened interactive: $(cat $TOKENWARDEN_READY_FILE)"
sleep 5; echo "reopened: $(mem $P)"
kill $P
' "$bin"
kill $X; rm -rf $home
