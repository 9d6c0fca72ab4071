#!/usr/bin/env bash
# Times `tresor sync` as a user runs it: the release binary, two devices (vault, state folder and
# passphrase file each) on one local folder, wall time and peak memory from /usr/bin/time.
# docs/benchmarks.md#sync has the numbers. About 2 minutes after `cargo build --release`; not part
# of CI (timings on a shared runner say little).
#
#   scripts/bench-sync.sh [path/to/release/tresor]
set -euo pipefail
bin=$(realpath "${1:-target/release/tresor}")
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
[ -n "${KEEP:-}" ] && echo "work folder: $work"
mkdir -m 700 "$work/run"
export XDG_RUNTIME_DIR=$work/run
printf 'a benchmark passphrase\n' >"$work/pass"
printf 'a new benchmark passphrase\n' >"$work/new-pass"
chmod 600 "$work/pass" "$work/new-pass"
A=(env "TRESOR_STATE_DIR=$work/state-a" "$bin" --vault "$work/laptop.db" --passphrase-file "$work/pass")
B=(env "TRESOR_STATE_DIR=$work/state-b" "$bin" --vault "$work/desktop.db" --passphrase-file "$work/pass")
a() { "${A[@]}" "$@"; }
timed() { # label, then the command: prints "label: seconds s, peak MB"
  local label=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
  read -r secs kib <"$work/time"
  printf '%-62s %6s s  %5d MB\n' "$label" "$secs" $((kib / 1024))
}
env_file() { # count, version -> a .env of `count` secrets at that version
  python3 -c "
import sys
n, v = int(sys.argv[1]), sys.argv[2]
print('\n'.join(f'SECRET_{i:05d}=value-{v}-{i:05d}-abcdefghijklmnopqrstuvwxyz0123' for i in range(n)))" "$1" "$2"
}

a init --kdf-memory-mib 64 --kdf-iterations 3 --kdf-parallelism 4 >/dev/null 2>&1
env_file 10000 1 >"$work/v1.env"
a import "$work/v1.env" >/dev/null 2>&1
mkdir "$work/Sync"
timed "sync init: publish 10,000 secrets" "${A[@]}" sync init "$work/Sync" --name laptop
# Four more versions of each, each import published at once (a write on a synced vault).
for v in 2 3 4 5; do
  env_file 10000 "$v" >"$work/v$v.env"
  timed "import of 10,000 changed values, published" "${A[@]}" import "$work/v$v.env" --on-conflict overwrite
done
du -sb "$work/Sync" | awk '{printf "%-62s %6.1f MB\n", "the folder", $1 / 1e6}'
for run in 1 2 3; do
  rm -rf "$work/desktop.db"* "$work/state-b"
  timed "sync join (run $run)" "${B[@]}" sync join "$work/Sync" --name desktop
done
env_file 100 6 >"$work/v6.env"
a import "$work/v6.env" --on-conflict overwrite >/dev/null 2>&1
timed "sync receiving 100 changed secrets" "${B[@]}" sync
timed "sync with nothing new" "${B[@]}" sync
timed "for reference: list (the unlock)" "${B[@]}" list
timed "passwd on a synced vault of 10,000 (a new key, announced)" "${A[@]}" passwd --new-passphrase-file "$work/new-pass"
timed "sync taking the new key (re-encrypts 10,000 secrets)" "${B[@]}" sync
cp "$work/new-pass" "$work/pass"
timed "sync after the move (reads the folder with both keys)" "${B[@]}" sync
# A device that slept through a change, opened with the new passphrase: it moves to the new key
# at unlock (re-encrypting 10,000 secrets), then the write publishes (a sync).
printf 'a third benchmark passphrase\n' >"$work/third-pass"
chmod 600 "$work/third-pass"
a passwd --new-passphrase-file "$work/third-pass" >/dev/null 2>&1
cp "$work/third-pass" "$work/pass"
timed "list on the other device with that change's passphrase (moves)" "${B[@]}" list
