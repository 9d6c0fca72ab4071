#!/usr/bin/env bash
# Unlock once, timed as a user meets it: the release app open and unlocked (Xvfb) on a vault of
# 100,000 secrets, idle; the release command line asks it, with a standing approval in place.
#   scripts/bench-agent.sh [BINARY]        (default: target/release/tresor; build it first)
#   RUNS=50 scripts/bench-agent.sh         (runs per measurement; the median is printed)
# Prints, each the median of RUNS runs of the whole process (start to exit):
#   - `tresor get NAME` through the app (issue 23's target: <= 10 ms);
#   - `tresor run -p bench -e dev -- true` (100 secrets) minus `true` alone (target: <= 10 ms);
#   - the same `get` unlocking the vault itself with a passphrase file, for comparison.
# The approvals are given in the app's dialog with the keyboard (Tab to "Allow for this tool",
# Space), as a person would: nothing in the binary approves by itself. Needs Xvfb and xdotool.
set -euo pipefail
bin=$(realpath "${1:-target/release/tresor}")
runs=${RUNS:-50}
tmp=$(mktemp -d)
chmod 700 "$tmp"
export TRESOR_STATE_DIR=$tmp/state XDG_RUNTIME_DIR=$tmp/run
mkdir -m 700 "$XDG_RUNTIME_DIR"
app="" xvfb=""
cleanup() { [ -n "$app" ] && kill "$app" 2>/dev/null; [ -n "$xvfb" ] && kill "$xvfb" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
printf 'agent benchmark passphrase\n' > "$tmp/pass"
chmod 600 "$tmp/pass"
vault=$tmp/vault.db
with_pass() { "$bin" --vault "$vault" --passphrase-file "$tmp/pass" "$@"; }

echo "building a vault of 100,000 secrets…" >&2
with_pass init --kdf-memory-mib 64 --kdf-iterations 3 --kdf-parallelism 4 >/dev/null 2>&1
awk 'BEGIN { for (i = 0; i < 99900; i++) printf "SERVICE_%06d_API_KEY=sk-%06d-abcdefghijklmnopqrstuvwxyz0123456789ABCD\n", i, i }' > "$tmp/big.env"
with_pass import "$tmp/big.env" >/dev/null 2>&1
with_pass projects create bench >/dev/null 2>&1
awk 'BEGIN { for (i = 0; i < 100; i++) printf "BENCH_%03d=value-%03d-abcdefghijklmnopqrstuvwxyz\n", i, i }' > "$tmp/bench.env"
with_pass -p bench -e development import "$tmp/bench.env" >/dev/null 2>&1
[ "$(with_pass list | wc -l)" -ge 99900 ] || { echo "the vault was not filled" >&2; exit 1; }

n=100
while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
export DISPLAY=:$n
Xvfb "$DISPLAY" -screen 0 1280x800x24 -nolisten tcp -noreset >/dev/null 2>&1 &
xvfb=$!
sleep 1
"$bin" --vault "$vault" >"$tmp/app.log" 2>&1 &
app=$!
win=""
for _ in $(seq 1 60); do
  win=$(xdotool search --name '^Tresor$' 2>/dev/null | head -1) && [ -n "$win" ] && break
  sleep 0.5
done
[ -n "$win" ] || { echo "the app did not open a window" >&2; exit 1; }
sleep 1
xdotool windowfocus --sync "$win"
xdotool type --delay 10 "agent benchmark passphrase"
xdotool key Return
sleep 5

# The first request of this script (a caller without a terminal) asks; approve it for the tool.
approve() {
  "$@" </dev/null >"$tmp/out" 2>"$tmp/err" &
  local pid=$!
  sleep 2.5   # the dialog is up, and its one-second guard over
  xdotool key Tab Tab space
  wait "$pid" || { echo "not approved: $(cat "$tmp/err")" >&2; exit 1; }
}
approve "$bin" --vault "$vault" get SERVICE_050000_API_KEY
grep -q sk-050000 "$tmp/out" || { echo "the first get did not return the value" >&2; exit 1; }
approve "$bin" --vault "$vault" run -p bench -e development -- true

# Median wall time in µs of "$@" over $runs runs (each must succeed without asking).
median_us() {
  local times=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N)
    "$@" </dev/null >"$tmp/out" 2>"$tmp/err" || { echo "failed: $* ($(cat "$tmp/err"))" >&2; exit 1; }
    end=$(date +%s%N)
    times+=($(((end - start) / 1000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
ms() { awk -v us="$1" 'BEGIN { printf "%.1f ms", us / 1000 }'; }

get_us=$(median_us "$bin" --vault "$vault" get SERVICE_050000_API_KEY)
grep -q sk-050000 "$tmp/out"
true_us=$(median_us true)
run_us=$(median_us "$bin" --vault "$vault" run -p bench -e development -- true)
export TRESOR_NO_APP=1
own_us=$(median_us "$bin" --vault "$vault" --passphrase-file "$tmp/pass" get SERVICE_050000_API_KEY)
unset TRESOR_NO_APP
echo "unlock once, 100,000 secrets, median of $runs runs:"
echo "  get through the app:                $(ms "$get_us")"
echo "  run (100 secrets) through the app:  $(ms "$run_us") ($(ms $((run_us - true_us))) over 'true' alone, $(ms "$true_us"))"
echo "  get unlocking the vault itself:     $(ms "$own_us") (Argon2id m=64 MiB, t=3, p=4)"
