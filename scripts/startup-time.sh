#!/usr/bin/env bash
# Time from launching the app to its lock screen being on screen, in a real X window (Xvfb).
#   scripts/startup-time.sh [BINARY] [RUNS]      (default: target/release/tresor, 10 runs)
# Each run starts the binary against a vault, polls until the window "Tresor" is mapped and its
# lock screen is drawn (the window's pixels are no longer uniform), then closes it with Ctrl+Q.
# Needs xvfb, xdotool and imagemagick (see .ci/gui-smoke.sh).
set -euo pipefail
bin=${1:-target/release/tresor}
runs=${2:-10}
tmp=$(mktemp -d)
# The benchmarks' vaults are remembered in a state folder of their own, never the real home's.
export TRESOR_STATE_DIR=$tmp/state
disp=:$((150 + RANDOM % 50))
Xvfb "$disp" -screen 0 1280x800x24 -noreset >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true; rm -rf "$tmp"' EXIT
sleep 1
printf 'startup timing passphrase\n' > "$tmp/pass"
chmod 600 "$tmp/pass"   # a passphrase file must be readable by its owner only
"$bin" --vault "$tmp/vault.db" --passphrase-file "$tmp/pass" init \
  --kdf-memory-mib 64 --kdf-iterations 3 --kdf-parallelism 4 >/dev/null

times=()
for _ in $(seq "$runs"); do
  start=$(date +%s%N)
  DISPLAY=$disp "$bin" --vault "$tmp/vault.db" >/dev/null 2>&1 &
  app=$!
  while :; do
    win=$(DISPLAY=$disp xdotool search --onlyvisible --name '^Tresor$' 2>/dev/null | head -1 || true)
    if [ -n "$win" ]; then
      # Drawn once the window holds more than one colour.
      colours=$(DISPLAY=$disp import -window "$win" -format '%k' info: 2>/dev/null || echo 0)
      [ "${colours:-0}" -gt 1 ] && break
    fi
    sleep 0.005
  done
  end=$(date +%s%N)
  times+=($(((end - start) / 1000000)))
  DISPLAY=$disp xdotool windowfocus --sync "$win" key ctrl+q >/dev/null 2>&1 || true
  wait "$app" || true
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
echo "start to lock screen (ms), $runs runs: $(echo $sorted | tr '\n' ' ')"
echo "median: $(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p") ms"
