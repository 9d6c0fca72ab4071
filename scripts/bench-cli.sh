#!/usr/bin/env bash
# The command line as a user runs it: the real release binary, on vaults of 1k, 10k and 100k
# secrets, each command timed from process start to exit (median of several runs).
#   scripts/bench-cli.sh [BINARY] [SIZES]   (default: target/release/tresor, "1000 10000 100000")
#   RUNS=5 scripts/bench-cli.sh             (runs per measurement; 100k uses at most 3)
# Build first: cargo build --release. Too slow for CI (about 5 minutes on 2 cores); run it by hand
# after changing anything on the command line's path, and update docs/benchmarks.md's table.
#
# Every vault uses the cheapest accepted KDF (m = 64 MiB, t = 3, p = 4), so each command's time
# includes one Argon2id derivation at those parameters; the "KDF + start" row (a `get` on a vault
# of one secret) shows how much that is. Real vaults are calibrated to about 1 s instead.
# Vaults are built with `tresor import` of a generated .env (names SERVICE_000123_API_KEY,
# 55-byte values). `history` reads a secret with 5 versions; `trash` lists a trash holding 10 %
# of the vault. `import` runs on a fresh copy of the vault each time (the copy is not timed)
# and includes the automatic backup made before an import.
set -euo pipefail
bin=$(realpath "${1:-target/release/tresor}")
sizes=${2:-1000 10000 100000}
runs=${RUNS:-5}
tmp=$(mktemp -d)
# The benchmarks' vaults are remembered in a state folder of their own, never the real home's.
export TRESOR_STATE_DIR=$tmp/state
trap 'rm -rf "$tmp"' EXIT
printf 'benchmark passphrase\n' > "$tmp/pass"
chmod 600 "$tmp/pass"   # a passphrase file must be readable by its owner only
export TRESOR_PASSPHRASE_FILE=$tmp/pass

# Median wall time in ms of "$@" over $n runs; $setup (if set) runs untimed before each.
median_ms() {
  local n=$1; shift
  local times=()
  for _ in $(seq "$n"); do
    if [ -n "${setup:-}" ]; then eval "$setup"; fi
    local start end
    start=$(date +%s%N)
    "$@" >"$tmp/out" 2>"$tmp/err" || { echo "failed: $* ($(cat "$tmp/err"))" >&2; exit 1; }
    end=$(date +%s%N)
    times+=($(((end - start) / 1000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; printf "%.0f ms\n", m/1000}'
}

# A .env of $1 lines; values say $2 (so that a second file can change half of them).
gen_env() {
  awk -v n="$1" -v tag="$2" 'BEGIN { for (i = 0; i < n; i++)
    printf "SERVICE_%06d_API_KEY=sk-%s-%06d-abcdefghijklmnopqrstuvwxyz0123456789ABCD\n", i, (i % 2 ? tag : "base"), i }'
}

new_vault() {
  "$bin" --vault "$1" init --kdf-memory-mib 64 --kdf-iterations 3 --kdf-parallelism 4 2>/dev/null
}

declare -A result
new_vault "$tmp/one.db"
printf 'x' | "$bin" --vault "$tmp/one.db" set ONLY 2>/dev/null
result[kdf]=$(median_ms "$runs" "$bin" --vault "$tmp/one.db" get ONLY)

for n in $sizes; do
  r=$runs
  [ "$n" -ge 100000 ] && [ "$r" -gt 3 ] && r=3
  dir=$tmp/v$n
  mkdir -p "$dir"
  gen_env "$n" base > "$dir/base.env"
  gen_env "$n" changed > "$dir/half.env"
  # Each vault in a folder of its own, so that a copy takes its backups (and any WAL) along.
  mkdir -p "$dir/full" "$dir/empty"
  export TRESOR_VAULT=$dir/full/vault.db
  new_vault "$TRESOR_VAULT"
  "$bin" import "$dir/base.env" >/dev/null 2>&1
  for v in 2 3 4 5; do printf 'v%s' "$v" | "$bin" set SERVICE_000001_API_KEY 2>/dev/null; done
  "$bin" list >/dev/null # today's automatic backup, so that no timed run makes it
  new_vault "$dir/empty/vault.db"
  "$bin" --vault "$dir/empty/vault.db" list >/dev/null 2>&1
  # The measured vault: the full one with 10 % of its secrets in the trash.
  cp -r "$dir/full" "$dir/main"
  export TRESOR_VAULT=$dir/main/vault.db
  awk -v n="$n" 'BEGIN { for (i = 2; i < n; i += 10) printf "SERVICE_%06d_API_KEY\n", i }' \
    | xargs -n 5000 "$bin" rm 2>/dev/null

  result[get,$n]=$(median_ms "$r" "$bin" get SERVICE_000003_API_KEY)
  result[list,$n]=$(median_ms "$r" "$bin" list)
  result[json,$n]=$(median_ms "$r" "$bin" list --json)
  result[history,$n]=$(median_ms "$r" "$bin" history SERVICE_000001_API_KEY)
  result[trash,$n]=$(median_ms "$r" "$bin" trash)
  result[export,$n]=$(median_ms "$r" "$bin" export)
  if [ "$n" -ge 10000 ]; then
    setup="rm -rf '$dir/t' && cp -r '$dir/empty' '$dir/t'"
    result[import_empty,$n]=$(median_ms "$r" "$bin" --vault "$dir/t/vault.db" import "$dir/base.env")
    setup="rm -rf '$dir/t' && cp -r '$dir/full' '$dir/t'"
    result[import_half,$n]=$(median_ms "$r" "$bin" --vault "$dir/t/vault.db" import "$dir/half.env" --on-conflict overwrite)
    unset setup
  fi
  rm -rf "$dir"
  echo "done: $n secrets" >&2
done

cell() { echo "${result[$1]:-—}"; }
echo "| command | $(for n in $sizes; do printf '%s secrets | ' "$n"; done)"
echo "| --- | $(for _ in $sizes; do printf -- '--- | '; done)"
echo "| KDF + process start (\`get\` on a vault of 1 secret) | $(cell kdf) |"
for row in "get:\`get NAME\`" "list:\`list\`" "json:\`list --json\`" "history:\`history NAME\` (5 versions)" \
  "trash:\`trash\` (10 % of the vault)" "export:\`export\` (.env to a pipe)" \
  "import_empty:\`import\` N lines into an empty vault" \
  "import_half:\`import --on-conflict overwrite\` N lines, half of them changed"; do
  key=${row%%:*}
  label=${row#*:}
  printf '| %s | ' "$label"
  for n in $sizes; do printf '%s | ' "$(cell "$key,$n")"; done
  echo
done
