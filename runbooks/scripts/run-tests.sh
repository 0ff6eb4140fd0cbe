#!/usr/bin/env bash
# DEMO STAND-IN: pretends to run a service's test suite so the run-tests runbook works end to end.
# Replace with your CI trigger or test runner wrapper, keeping the contract:
#   run-tests.sh <service> <unit|integration|e2e>; a summary line on stdout; non-zero exit on failures.
set -euo pipefail

usage() { echo "usage: $0 <service> <unit|integration|e2e>" >&2; exit 64; }
[[ $# -eq 2 ]] || usage
service=$1
suite=$2
[[ $service =~ ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ ]] || { echo "run-tests: invalid service name '$service'" >&2; exit 65; }
[[ $suite == unit || $suite == integration || $suite == e2e ]] || { echo "run-tests: unknown suite '$suite'" >&2; exit 65; }

echo "run-tests: ${service} ${suite} suite"
sleep 0.2
echo "run-tests: 128 passed, 0 failed, 3 skipped"
