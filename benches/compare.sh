#!/usr/bin/env bash
# Tokenwarden beside KeePassXC (Debian's 2.7.4), in one run, on the same entries: the
# command lines (open and list, add one, find one) and the desktop apps (launch to a
# drawn window, memory with the window open, memory in the tray, reopening from the
# tray). Run by `cargo xtask bench-compare`, which builds the shipping `tw` and app and
# writes DATA/tokens.env and DATA/entries.xml (the same N secrets) and DATA/pass.
#
# Key protection, each side's default first: Tokenwarden's key in the OS keyring
# (gnome-keyring here), KeePassXC's master password through its KDF (whatever
# `keepassxc-cli import` makes: db-info prints it). Then Tokenwarden behind a
# passphrase (scrypt at its default work factor), for the command lines.
#
# Whole processes, spawned here: times from fork to exit (or to the window), peak RSS
# from /usr/bin/time, PSS and RSS summed over a GUI's process tree from
# /proc/PID/smaps_rollup. Under Xvfb (software rendering) with openbox (closing a
# window as a person does) and trayer (a tray both apps dock into).
# usage: dbus-run-session -- benches/compare.sh TW APP DATA
set -eu
# shellcheck source=benches/proc.sh
. "$(dirname "$0")/proc.sh"
tw=$(realpath "$1") app=$(realpath "$2") data=$(realpath "$3")
runs=${RUNS:-7}
gui_runs=${GUI_RUNS:-5}
pass=$(cat "$data/pass")
work=$(mktemp -d)
xvfb=
trap 'kill $(jobs -p) $xvfb 2>/dev/null; rm -rf "$work"' EXIT
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config XDG_DATA_HOME=$work/home/.local/share XDG_RUNTIME_DIR=$work/run
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
printf %s bench-keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null

ns() { date +%s%N; }
ms_since() { echo $(( ($(ns) - $1) / 1000000 )); }
# The median of numbers on standard input.
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

# run_cli LABEL FUNCTION: calls FUNCTION I for I in 1..runs (each a whole process,
# its standard output dropped); prints the median wall time and peak RSS.
run_cli() {
  local label=$1 f=$2 i t0
  : >"$work/t"; : >"$work/m"
  for i in $(seq "$runs"); do
    t0=$(ns)
    $f "$i" >/dev/null
    ms_since "$t0" >>"$work/t"
    cat "$work/peak" >>"$work/m"
  done
  local t m
  t=$(median <"$work/t"); m=$(median <"$work/m")
  printf '%-44s %6d ms %6d MiB\n' "$label" "$t" $((m / 1024))
  echo "$label|$t|$((m / 1024))" >>"$work/results"
}
peak() { /usr/bin/time -f %M -o "$work/peak" "$@"; }

# --- the vaults -----------------------------------------------------------------
n=$(wc -l <"$data/tokens.env")
# in_vault KIND COMMAND...: COMMAND with the tw vault of that kind (keyring, passphrase
# or empty; a passphrase vault's passphrase from DATA/pass).
in_vault() {
  local k=$1; shift
  TOKENWARDEN_VAULT=$work/$k/vault.age TOKENWARDEN_STATE_DIR=$work/state-$k \
    TOKENWARDEN_PASSPHRASE_FILE=$data/pass "$@"
}
in_vault keyring "$tw" init >/dev/null 2>&1
in_vault keyring "$tw" import "$data/tokens.env" >/dev/null
in_vault passphrase "$tw" init --passphrase >/dev/null 2>&1
in_vault passphrase "$tw" import "$data/tokens.env" >/dev/null
in_vault empty "$tw" init >/dev/null 2>&1
kdbx=$work/entries.kdbx empty_kdbx=$work/empty.kdbx
printf '%s\n%s\n' "$pass" "$pass" | keepassxc-cli import -q -p "$data/entries.xml" "$kdbx" >/dev/null
# The empty one made the same way, from an XML file with no entries.
printf '%s\n' '<?xml version="1.0" encoding="UTF-8"?>' \
  '<KeePassFile><Meta><Generator>KeePassXC</Generator></Meta><Root><Group><UUID>AAAAAAAAAAAAAAAAAAAAAA==</UUID><Name>Root</Name></Group></Root></KeePassFile>' >"$work/empty.xml"
printf '%s\n%s\n' "$pass" "$pass" | keepassxc-cli import -q -p "$work/empty.xml" "$empty_kdbx" >/dev/null
kdf=$(printf '%s\n' "$pass" | keepassxc-cli db-info -q "$kdbx" | grep '^KDF:' || echo 'KDF: ?')
listed=$(in_vault keyring "$tw" list | grep -c SERVICE_TOKEN || true)
echo "$n entries each ($listed listed by tw); KeePassXC's $kdf"
echo "medians of $runs whole-process runs: wall time, peak RSS"

# --- command lines ----------------------------------------------------------------
secret() { printf 'ghp_bench%s%031d\n' "$1" "$2"; }
tw_list_k() { in_vault keyring peak "$tw" list; }
tw_list_p() { in_vault passphrase peak "$tw" list; }
kp_list() { printf '%s\n' "$pass" | peak keepassxc-cli ls -q "$kdbx"; }
tw_add_k() { secret k "$1" | in_vault keyring peak "$tw" add --provider custom --name "bench add $1"; }
tw_add_p() { secret p "$1" | in_vault passphrase peak "$tw" add --provider custom --name "bench add $1"; }
kp_add() { { printf '%s\n' "$pass"; secret x "$1"; } | peak keepassxc-cli add -q -p "$kdbx" "/bench add $1"; }
tw_find_k() { in_vault keyring peak "$tw" show "SERVICE_TOKEN_0$((4000 + $1))"; }
tw_find_p() { in_vault passphrase peak "$tw" show "SERVICE_TOKEN_0$((4000 + $1))"; }
kp_find() { printf '%s\n' "$pass" | peak keepassxc-cli show -q "$kdbx" "SERVICE_TOKEN_0$((4000 + $1))"; }

run_cli "open and list: tw, keyring" tw_list_k
run_cli "open and list: tw, passphrase" tw_list_p
run_cli "open and list: keepassxc-cli ls" kp_list
run_cli "add one: tw, keyring" tw_add_k
run_cli "add one: tw, passphrase" tw_add_p
run_cli "add one: keepassxc-cli add" kp_add
run_cli "find one: tw show, keyring" tw_find_k
run_cli "find one: tw show, passphrase" tw_find_p
run_cli "find one: keepassxc-cli show" kp_find

# --- the desktop apps ---------------------------------------------------------------
exec 3< <(Xvfb -displayfd 1 -screen 0 1280x800x24 2>/dev/null & echo "pid $!")
read -r _ xvfb <&3
read -r d <&3
export DISPLAY=:$d
openbox >/dev/null 2>&1 &
trayer --edge top --align right --widthtype request --height 32 >/dev/null 2>&1 &
sleep 1

shown() { wmctrl -l | grep -qE "$1"; }
wait_shown() { # TITLE_REGEX: waits (up to 30 s) for a managed window with that title
  local i
  for i in $(seq 3000); do shown "$1" && return 0; sleep 0.01; done
  echo "no window matching $1" >&2; return 1
}
wait_gone() { local i; for i in $(seq 3000); do shown "$1" || return 0; sleep 0.01; done; return 1; }
stop() { # PID: asked to end, then made to (KeePassXC may wait on SIGTERM)
  local i
  kill "$1" 2>/dev/null || true
  for i in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  sleep 1
}

# KeePassXC: a tray icon, closing hides it to the tray, no update question.
mkdir -p "$XDG_CONFIG_HOME/keepassxc"
cat >"$XDG_CONFIG_HOME/keepassxc/keepassxc.ini" <<'INI'
[General]
ConfigVersion=2
UpdateCheckMessageShown=true
[GUI]
ShowTrayIcon=true
MinimizeToTray=true
MinimizeOnClose=true
CheckForUpdates=false
INI

# gui LABEL TITLE_REGEX START_FUNCTION REOPEN_FUNCTION
# START_FUNCTION starts the app in the background and sets PID. Launch and reopen are
# timed to a drawn, usable window: Tokenwarden's page says when its first screen is
# painted and answers input (TOKENWARDEN_READY_FILE); KeePassXC's window title names
# the database once it is open and its list is drawn (the window maps before that, on
# its unlock screen). Tokenwarden's window mapping is printed too.
PID=
gui() {
  local label=$1 title=$2 start=$3 reopen=$4 i t0
  : >"$work/t"; : >"$work/mapped"
  for i in $(seq "$gui_runs"); do
    rm -f "$work/ready"
    t0=$(ns)
    $start
    wait_shown "$title"
    ms_since "$t0" >>"$work/mapped"
    wait_drawn
    ms_since "$t0" >>"$work/t"
    stop "$PID"
  done
  local launch mapped
  launch=$(median <"$work/t"); mapped=$(median <"$work/mapped")
  $start
  wait_shown "$title"
  wait_drawn
  sleep 5
  local open tray
  open=$(tree_mem "$PID")
  close "$title"
  # Tokenwarden re-executes itself in the tray five quiet seconds after the close (a
  # fresh image, its vault handed over: src-tauri/src/handover.rs), which gives back
  # its start-up pages 8 s later; measured as it lasts, a minute after that.
  sleep 75
  tray=$(tree_mem "$PID")
  : >"$work/t"; : >"$work/asked"
  for i in 1 2 3; do
    rm -f "$work/ready"
    t0=$(ns)
    $reopen
    wait_shown "$title"
    wait_drawn
    ms_since "$t0" >>"$work/t"
    # Tokenwarden's own figure, from the ask (what the tray's Open costs, without the
    # second process's start and hand-over); none for KeePassXC.
    [ "$drawn_by_file" = 1 ] && cut -d' ' -f1 "$work/ready" | cut -d. -f1 >>"$work/asked"
    sleep 2
    close "$title"
    # Reopened as a person would, minutes later: after the handover and the page-out.
    sleep 20
  done
  local again asked=
  again=$(median <"$work/t")
  [ -s "$work/asked" ] && asked=" (from the ask $(median <"$work/asked") ms)"
  stop "$PID"
  read -r op or <<<"$open"
  read -r tp tr <<<"$tray"
  printf '%-30s launch %5d ms (mapped %4d)  open %4d/%4d MiB  tray %4d/%4d MiB  reopen %4d ms%s\n' \
    "$label" "$launch" "$mapped" "$op" "$or" "$tp" "$tr" "$again" "$asked"
  echo "$label|$launch|$op|$or|$tp|$tr|$again" >>"$work/results"
}
# Tokenwarden's page drawn (the ready file); for KeePassXC the title said it.
wait_drawn() {
  local i
  [ "$drawn_by_file" = 1 ] || return 0
  for i in $(seq 3000); do [ -s "$work/ready" ] && return 0; sleep 0.01; done
  echo "no page drawn" >&2; return 1
}
close() { # TITLE_REGEX: closes the window as a person does (to the tray, for both)
  wmctrl -c "$(wmctrl -l | grep -E "$1" | head -1 | cut -d' ' -f5-)"
  wait_gone "$1"
}

tw_app_start() { # VAULT_KIND
  TOKENWARDEN_VAULT=$work/$1/vault.age TOKENWARDEN_STATE_DIR=$work/state-$1 \
    TOKENWARDEN_READY_FILE=$work/ready "$app" >/dev/null 2>&1 &
  PID=$!
}
tw_app_0() { tw_app_start empty; }
tw_app_n() { tw_app_start keyring; }
# A second launch hands over to the running app (as the tray's Open does) and exits.
tw_app_reopen_0() { in_vault empty "$app" >/dev/null 2>&1; }
tw_app_reopen_n() { in_vault keyring "$app" >/dev/null 2>&1; }
kp_start() { # FILE
  printf '%s\n' "$pass" >"$work/pw"
  keepassxc --pw-stdin "$1" <"$work/pw" >/dev/null 2>&1 &
  PID=$!
}
kp_0() { kp_start "$empty_kdbx"; }
kp_n() { kp_start "$kdbx"; }
# A second start shows the running instance's window (KeePassXC is single-instance).
kp_reopen() { keepassxc >/dev/null 2>&1 & }

echo
echo "desktop apps: launch to a drawn window (median of $gui_runs), PSS/RSS 5 s after"
echo "with the window open and 75 s after it was closed to the tray, reopening to a"
echo "drawn window 20 s after a close (median of 3); one process tree each, an"
echo "unlocked vault"
drawn_by_file=1
gui "Tokenwarden, 0 tokens" '^0x[0-9a-f]+ +-?[0-9]+ +[^ ]+ +Tokenwarden$' tw_app_0 tw_app_reopen_0
gui "Tokenwarden, $n tokens" '^0x[0-9a-f]+ +-?[0-9]+ +[^ ]+ +Tokenwarden$' tw_app_n tw_app_reopen_n
# Started at login (the autostart entry's --minimized): the tray, no window made yet.
for k in empty keyring; do
  TOKENWARDEN_VAULT=$work/$k/vault.age TOKENWARDEN_STATE_DIR=$work/state-$k "$app" --minimized >/dev/null 2>&1 &
  PID=$!
  sleep 70
  read -r lp lr <<<"$(tree_mem "$PID")"
  stop "$PID"
  printf '%-30s in the tray 70 s after a start at login: %d/%d MiB\n' \
    "Tokenwarden, $([ $k = empty ] && echo 0 || echo "$n") tokens" "$lp" "$lr"
done
drawn_by_file=0
# The title names the database once it is open ("entries.kdbx - KeePassXC"), not
# while it asks for the password ("entries.kdbx [Locked] - KeePassXC").
gui "KeePassXC, empty" ' empty\.kdbx - KeePassXC$' kp_0 kp_reopen
gui "KeePassXC, $n entries" ' entries\.kdbx - KeePassXC$' kp_n kp_reopen

# Ratios from this run (Tokenwarden's time over KeePassXC's: under 1 is faster).
echo
echo "ratios, this run (tw / KeePassXC):"
awk -F'|' '
  { v[$1] = $2 }
  END {
    split("open and list|add one|find one", ops, "|")
    for (i = 1; i <= 3; i++) {
      o = ops[i]
      kp = (o == "open and list") ? v[o ": keepassxc-cli ls"] : (o == "add one") ? v[o ": keepassxc-cli add"] : v[o ": keepassxc-cli show"]
      k = (o == "find one") ? v[o ": tw show, keyring"] : v[o ": tw, keyring"]
      p = (o == "find one") ? v[o ": tw show, passphrase"] : v[o ": tw, passphrase"]
      printf "  %-14s keyring %.2f, passphrase %.2f\n", o, k / kp, p / kp
    }
  }' "$work/results"
echo "  desktop app, Tokenwarden / KeePassXC, empty and $n entries:"
awk -F'|' -v n="$n" '
  $1 == "Tokenwarden, 0 tokens" { t0 = $0 } $1 == "Tokenwarden, " n " tokens" { tn = $0 }
  $1 == "KeePassXC, empty" { k0 = $0 } $1 == "KeePassXC, " n " entries" { kn = $0 }
  END {
    split(t0, a, "|"); split(k0, b, "|"); split(tn, c, "|"); split(kn, d, "|")
    printf "    launch to a drawn window  %.2f, %.2f\n", a[2] / b[2], c[2] / d[2]
    printf "    window open, PSS          %.2f, %.2f\n", a[3] / b[3], c[3] / d[3]
    printf "    in the tray, PSS          %.2f, %.2f\n", a[5] / b[5], c[5] / d[5]
    printf "    in the tray, RSS          %.2f, %.2f\n", a[6] / b[6], c[6] / d[6]
  }' "$work/results"
