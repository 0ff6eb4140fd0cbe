#!/usr/bin/env bash
# DEMO STAND-IN: pretends to measure line coverage so the test-coverage runbook works end to end.
# Replace with your coverage tool wrapper, keeping the contract:
#   coverage.sh <service> --min=<0..100>; last line `coverage: <percent>%`; exit 1 below the minimum.
set -euo pipefail

usage() { echo "usage: $0 <service> --min=<0..100>" >&2; exit 64; }
[[ $# -eq 2 && $2 == --min=* ]] || usage
service=$1
min=${2#--min=}
[[ $service =~ ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ ]] || { echo "coverage: invalid service name '$service'" >&2; exit 65; }
[[ $min =~ ^[0-9]{1,3}$ ]] && (( 10#$min <= 100 )) || { echo "coverage: --min must be 0..100, got '$min'" >&2; exit 65; }

# A stable pseudo-measurement per service, so the demo is repeatable.
percent=$(( 60 + $(printf '%s' "$service" | cksum | cut -d' ' -f1) % 35 ))
echo "coverage: measuring ${service}"
sleep 0.2
echo "coverage: ${percent}%"
if (( percent < 10#$min )); then
  echo "coverage: ${percent}% is below the minimum of ${min}%" >&2
  exit 1
fi
