#!/usr/bin/env bash
# Launches the real app in a real X window (Xvfb) against a temporary vault: it must start, show
# a window titled "Tresor", and exit cleanly (code 0) on Ctrl+Q. Keeps a screenshot in
# ci-artifacts/ as evidence. Run from the repository root after the binary is built.
set -euo pipefail
bin=${1:-target/debug/tresor}
art=ci-artifacts
mkdir -p "$art"

need=()
for pkg in xvfb xdotool imagemagick libgl1-mesa-dri libegl1 libxkbcommon-x11-0 libxcursor1 libxrandr2 libxi6; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >/dev/null
fi

tmp=$(mktemp -d)
# A display no X server holds (a server killed hard leaves its socket and lock file behind).
n=100
while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
disp=:$n
Xvfb "$disp" -screen 0 1280x800x24 -noreset >/dev/null 2>&1 &
xvfb=$!
cleanup() { kill "$xvfb" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
# Wait until the server answers (a loaded machine takes more than a second; a fixed sleep once
# started the app before it, and the app could not connect).
for _ in $(seq 1 80); do
  DISPLAY=$disp xdotool getdisplaygeometry >/dev/null 2>&1 && break
  kill -0 "$xvfb" 2>/dev/null || { echo "Xvfb on $disp exited"; exit 1; }
  sleep 0.25
done
DISPLAY=$disp xdotool getdisplaygeometry >/dev/null 2>&1 || { echo "Xvfb on $disp did not answer within 20 s"; exit 1; }

printf 'smoke test passphrase\n' > "$tmp/pass"
# Never the real home's state folder.
export TRESOR_STATE_DIR=$tmp/state
# Never the real runtime folder (the app serves the command line from it).
export XDG_RUNTIME_DIR=$tmp/run
mkdir -m 700 "$XDG_RUNTIME_DIR"
chmod 600 "$tmp/pass"   # a passphrase file must be readable by its owner only
"$bin" --vault "$tmp/vault.db" --passphrase-file "$tmp/pass" init \
  --kdf-memory-mib 64 --kdf-iterations 3 --kdf-parallelism 4 >/dev/null

DISPLAY=$disp "$bin" --vault "$tmp/vault.db" >"$tmp/app.log" 2>&1 &
app=$!
win=""
for _ in $(seq 1 60); do
  win=$(DISPLAY=$disp xdotool search --name '^Tresor$' 2>/dev/null | head -1 || true)
  [ -n "$win" ] && break
  kill -0 "$app" 2>/dev/null || { echo "the app exited before showing a window:"; cat "$tmp/app.log"; exit 1; }
  sleep 0.5
done
[ -n "$win" ] || { echo "no window titled Tresor appeared within 30 s"; cat "$tmp/app.log"; exit 1; }
sleep 2
DISPLAY=$disp import -window root "$art/tresor-locked.png"
echo "window $win is up; screenshot in $art/tresor-locked.png"

DISPLAY=$disp xdotool windowfocus "$win"
sleep 0.3
DISPLAY=$disp xdotool key ctrl+q
for _ in $(seq 1 40); do
  kill -0 "$app" 2>/dev/null || break
  sleep 0.25
done
if kill -0 "$app" 2>/dev/null; then
  echo "the app did not exit within 10 s of Ctrl+Q"
  kill "$app"
  exit 1
fi
wait "$app" && code=0 || code=$?
[ "$code" -eq 0 ] || { echo "the app exited with code $code"; cat "$tmp/app.log"; exit 1; }
echo "the app exited cleanly on request"
