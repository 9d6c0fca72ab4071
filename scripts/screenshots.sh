#!/usr/bin/env bash
# Renders the app's screens and dialogs into ci-artifacts/screens/, to look at after every change:
# the lock screen; the Secrets page (the search has the keyboard); Create with an invalid name
# and a value with a space at its end; View (masked) and View of a PEM key revealed; Delete;
# Vault settings; the Trash (two trashed secrets of one name, each with its place); a project's
# Shared level; an environment with shared and overriding rows; Move of an override (what it
# changes, before: production falls back to the shared value);
# Compare; Create in staging over a shared name (an override); Delete of a shared secret from an
# environment (Cancel has the focus); "Import a file…" on an empty project (Vault settings at
# Import) — at 760×500 and 1040×680, in light and dark; the Secrets page at 1920×1080 (a long name
# in full) and at scale factor 2. One app process per size and theme, driven with xdotool under
# Xvfb.
#   bash scripts/screenshots.sh [target/debug/tresor]
# SCREENS=760x500-light (a set's name) renders that set only.
set -euo pipefail
bin=$(realpath "${1:-target/debug/tresor}")
out=ci-artifacts/screens
mkdir -p "$out"
for tool in Xvfb xdotool import; do
  command -v "$tool" >/dev/null || { echo "screenshots: $tool is missing (xvfb, xdotool, imagemagick)"; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 700 "$tmp"
printf 'screenshot passphrase\n' > "$tmp/pass"
chmod 600 "$tmp/pass"
export TRESOR_PASSPHRASE_FILE=$tmp/pass TRESOR_VAULT=$tmp/vault.db TRESOR_STATE_DIR=$tmp/state
export XDG_RUNTIME_DIR=$tmp/run
mkdir -m 700 "$XDG_RUNTIME_DIR"
"$bin" init --kdf-memory-mib 64 --kdf-iterations 3 --kdf-parallelism 4 >/dev/null 2>&1
while IFS='|' read -r name description value; do
  printf '%s' "$value" | "$bin" set "$name" --description "$description" >/dev/null 2>&1
done <<'EOF'
OPENAI_API_KEY|GPT calls from the CLI|sk-proj-0000000000000000000000000000
ANTHROPIC_API_KEY|Claude for the docs bot|sk-ant-000000000000000000000000
HF_TOKEN|Hugging Face downloads|hf_0000000000000000000000000000
STRIPE_SECRET_KEY|Payments, test mode|sk_test_000000000000000000000000
TWILIO_STAGING_AUTH_TOKEN|SMS in staging|00000000000000000000000000000000
DATABASE_URL|Postgres for local development|postgres://dev:dev@localhost:5432/app
AWS_SECRET_ACCESS_KEY||0000000000000000000000000000000000000000
GITHUB_TOKEN|CI releases|ghp_000000000000000000000000000000000000
SLACK_BOT_TOKEN_FOR_DEPLOY_NOTIFICATIONS_CHANNEL|Deploy notifications|xoxb-0000000000
EOF
# A PEM key: View must fit it (scrolling) at 760×500, title and Close in sight.
{
  echo '-----BEGIN PRIVATE KEY-----'
  head -c 1200 /dev/zero | tr '\0' 'A' | fold -w 64
  echo
  printf '%s' '-----END PRIVATE KEY-----'
} | "$bin" set TLS_PRIVATE_KEY --description "PEM, for the API's TLS" >/dev/null 2>&1
printf 'old' | "$bin" set OLD_WEBHOOK_SECRET >/dev/null 2>&1
"$bin" rm OLD_WEBHOOK_SECRET >/dev/null 2>&1
# A project: two shared secrets, production overriding one, each environment its own database.
"$bin" projects create shop >/dev/null 2>&1
while IFS='|' read -r env name description value; do
  place=(-p shop)
  [ -n "$env" ] && place+=(-e "$env")
  printf '%s' "$value" | "$bin" set "${place[@]}" "$name" --description "$description" >/dev/null 2>&1
done <<'EOF'
|OPENAI_API_KEY|GPT calls, shared by every environment|sk-proj-1111111111111111111111111111
|LOG_LEVEL|Shared default|info
production|OPENAI_API_KEY|Production's own key|sk-proj-2222222222222222222222222222
production|DATABASE_URL|Production database|postgres://app@db.internal:5432/app
production|SENTRY_DSN|Error reports|https://0000@sentry.example/1
staging|DATABASE_URL|Staging database|postgres://app@db.internal:5432/app
development|DATABASE_URL|Local database|postgres://dev:dev@localhost:5432/app
production|PK|Signing key|pk-production
staging|PK|Signing key|pk-staging
EOF
# Two trashed secrets of one name, told apart by their place.
"$bin" rm -p shop -e production PK >/dev/null 2>&1
"$bin" rm -p shop -e staging PK >/dev/null 2>&1
# An empty project, whose initials in the icon sidebar must not be shop's.
"$bin" projects create shop-admin >/dev/null 2>&1

# shot_set NAME WIDTH HEIGHT THEME [SCALE]: one app process, several screens.
shot_set() {
  local tag=$1 w=$2 h=$3 theme=$4 scale=${5:-1}
  if [ -n "${SCREENS:-}" ] && [ "$SCREENS" != "$tag" ]; then return 0; fi
  local n=300
  while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
  local disp=:$n
  local sw=$((w * scale)) sh=$((h * scale))
  Xvfb "$disp" -screen 0 "${sw}x${sh}x24" -nolisten tcp -noreset >/dev/null 2>&1 &
  local xvfb=$!
  sleep 1
  mkdir -p "$tmp/config-$tag/tresor"
  printf '{"theme":"%s","note_dismissed":false}' "$theme" > "$tmp/config-$tag/tresor/prefs.json"
  XDG_CONFIG_HOME=$tmp/config-$tag WINIT_X11_SCALE_FACTOR=$scale DISPLAY=$disp \
    "$bin" --vault "$tmp/vault.db" >/dev/null 2>&1 &
  local app=$!
  local win=""
  for _ in $(seq 1 60); do
    win=$(DISPLAY=$disp xdotool search --name '^Tresor$' 2>/dev/null | head -1 || true)
    [ -n "$win" ] && break
    sleep 0.5
  done
  [ -n "$win" ] || { echo "screenshots: no window for $tag"; kill "$app" "$xvfb" 2>/dev/null; return 1; }
  x() { DISPLAY=$disp xdotool "$@"; }
  # Keys one at a time, with time for a frame between them (egui moves the focus once a frame).
  keys() { for k in "$@"; do x key "$k"; sleep 0.15; done; }
  snap() { sleep "${2:-0.8}"; DISPLAY=$disp import -window root "$out/$tag-$1.png"; }
  x windowsize "$win" "$sw" "$sh"
  sleep 1.5
  x windowfocus "$win"
  if [ "$scale" = 1 ]; then snap locked; fi
  x type --delay 10 'screenshot passphrase'
  x key Return
  snap secrets 3
  if [ "$scale" = 1 ] && [ "$w" -lt 1900 ]; then
    # Create: an invalid name (with its one-click fix) and a value ending in a space.
    keys ctrl+n; sleep 0.3; x type --delay 10 'openai api key'
    keys Tab Tab Tab; x type --delay 10 'sk-123 '; snap create; keys Escape; sleep 0.4
    # The table from the keyboard: Ctrl+F, ↓ into the table, Enter views (masked).
    keys ctrl+f Down Return; snap view
    # Escape gives the focus back to the row (within a few frames); Delete then asks.
    keys Escape; sleep 0.6; keys Delete; snap delete; keys Escape; sleep 0.4
    # View of the PEM key, revealed (Enter on Reveal, the dialog's first control).
    keys ctrl+f; x type --delay 10 'TLS_'; keys Down Return; sleep 0.5; keys Return; snap view-pem
    keys Escape; sleep 0.4; keys ctrl+f Escape; sleep 0.3
    # The sidebar: Secrets, the projects (Personal, shop, shop-admin), New project, Trash, Vault
    # settings; below 900 px wide it is icons only (the projects by their initials).
    if [ "$w" -lt 900 ]; then
      sx=25; sy_shop=163; sy_admin=201; sy_trash=295; sy_settings=335
    else
      sx=60; sy_shop=177; sy_admin=211; sy_trash=301; sy_settings=337
    fi
    x mousemove "$sx" "$sy_settings" click 1; snap settings
    x mousemove "$sx" "$sy_trash" click 1; snap trash
    # shop's Shared level, its production environment (Ctrl+PageDown three times).
    x mousemove "$sx" "$sy_shop" click 1; snap project
    keys ctrl+Next ctrl+Next ctrl+Next; snap environment
    # Move production's OPENAI_API_KEY (an override) to development: View, Tab to "Move to…",
    # Enter; the places list, Tab to shop / development (the sixth), Enter: what the move
    # changes (production falls back to the shared value), before it is made.
    keys ctrl+f; x type --delay 10 'OPENAI'; keys Down Return; sleep 0.5
    keys Tab Tab Tab Tab Tab Return; sleep 0.5
    keys Tab Tab Tab Tab Tab Return; snap move; keys Escape; sleep 0.4
    keys ctrl+f Escape; sleep 0.3
    keys ctrl+Next; snap compare
    # staging (Shared, development, staging): Create over the shared LOG_LEVEL is an override;
    # Delete on the shared LOG_LEVEL asks about the shared secret, Cancel focused.
    keys ctrl+Next ctrl+Next ctrl+Next; sleep 0.3
    keys ctrl+n; sleep 0.3; x type --delay 10 'LOG_LEVEL'; snap create-override; keys Escape; sleep 0.4
    keys ctrl+f; x type --delay 10 'LOG_'; keys Down Delete; snap delete-shared; keys Escape; sleep 0.4
    # "Import a file…" on the empty shop-admin: Vault settings at Import (no file dialog here:
    # its message under Import, the path field focused).
    x mousemove "$sx" "$sy_admin" click 1; sleep 0.6
    if [ "$w" -lt 900 ]; then ix=528; iy=313; else ix=702; iy=327; fi
    x mousemove "$ix" "$iy" click 1; snap import 1.5
  fi
  x key ctrl+q
  sleep 1
  kill "$app" 2>/dev/null || true
  kill "$xvfb" 2>/dev/null || true
  wait "$xvfb" 2>/dev/null || true
}

for theme in dark light; do
  shot_set "760x500-$theme" 760 500 "$theme"
  shot_set "1040x680-$theme" 1040 680 "$theme"
done
shot_set "1920x1080-dark" 1920 1080 dark
shot_set "scale2-light" 1040 680 light 2
ls "$out" | wc -l | xargs -I{} echo "screenshots: {} images in $out"
