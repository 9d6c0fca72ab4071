#!/usr/bin/env bash
# Projects and environments on the command line, as a user runs them: the real release binary
# on a vault of 100 projects × 3 environments × 300 secrets, plus 10 shared secrets per project
# (91,000 secrets, each with one earlier value), each command timed from process start to exit
# (median of RUNS, default 5).
#   scripts/bench-places.sh [BINARY]   (default: target/release/tresor; build with cargo build --release)
# Building the vault takes a few minutes (900 imports, each with its KDF); run it by hand after
# changing anything on these paths, and update docs/benchmarks.md's table.
set -euo pipefail
bin=$(realpath "${1:-target/release/tresor}")
runs=${RUNS:-5}
tmp=$(mktemp -d)
# The benchmarks' vaults are remembered in a state folder of their own, never the real home's.
export TRESOR_STATE_DIR=$tmp/state
trap 'rm -rf "$tmp"' EXIT
printf 'benchmark passphrase\n' > "$tmp/pass"
chmod 600 "$tmp/pass"
export TRESOR_PASSPHRASE_FILE=$tmp/pass
export TRESOR_VAULT=$tmp/vault/vault.db
mkdir -m 700 "$tmp/vault" "$tmp/work"
cd "$tmp/work"   # no tresor.toml here

median_ms() {
  local n=$1; shift
  local times=()
  for _ in $(seq "$n"); do
    local start end
    start=$(date +%s%N)
    "$@" >"$tmp/out" 2>"$tmp/err" || { echo "failed: $* ($(cat "$tmp/err"))" >&2; exit 1; }
    end=$(date +%s%N)
    times+=($(((end - start) / 1000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; printf "%.0f ms\n", m/1000}'
}

# A .env of $1 names $2_0000.., values tagged $3.
gen_env() {
  awk -v n="$1" -v prefix="$2" -v tag="$3" 'BEGIN { for (i = 0; i < n; i++)
    printf "%s_%04d=sk-%s-%04d-abcdefghijklmnopqrstuvwxyz0123456789ABCD\n", prefix, i, tag, i }'
}

"$bin" init --kdf-memory-mib 64 --kdf-iterations 3 --kdf-parallelism 4 2>/dev/null
"$bin" backup --keep 0 >/dev/null 2>&1
for tag in one two; do
  gen_env 300 KEY "$tag" > "$tmp/env-$tag.env"
  gen_env 10 SHARED "$tag" > "$tmp/shared-$tag.env"
done
for p in $(seq -w 0 99); do
  project="project 0$p"
  "$bin" projects create "$project" 2>/dev/null
  for tag in one two; do
    "$bin" import -p "$project" "$tmp/shared-$tag.env" --on-conflict overwrite >/dev/null 2>&1
    for env in development staging production; do
      "$bin" import -p "$project" -e "$env" "$tmp/env-$tag.env" --on-conflict overwrite >/dev/null 2>&1
    done
  done
done
echo "built: $("$bin" info | grep -i secrets)" >&2

P=(-p "project 050")
echo "| command (91,000 secrets in 100 projects) | time |"
echo "| --- | --- |"
echo "| \`get -p P -e production KEY\` (process start, KDF, unlock of 91k, one value) | $(median_ms "$runs" "$bin" get "${P[@]}" -e production KEY_0001) |"
echo "| \`run -p P -e production -- true\` (310 secrets injected) | $(median_ms "$runs" "$bin" run "${P[@]}" -e production -- true) |"
echo "| \`list -p P -e production\` | $(median_ms "$runs" "$bin" list "${P[@]}" -e production) |"
echo "| \`diff -p P staging production\` | $(median_ms "$runs" "$bin" diff "${P[@]}" staging production) |"
echo "| \`projects\` | $(median_ms "$runs" "$bin" projects) |"
