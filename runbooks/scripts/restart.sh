#!/usr/bin/env bash
# DEMO STAND-IN: pretends to restart a service so the restart-service runbook runs end to end.
# Replace with a real wrapper, e.g. `kubectl --context "$environment" rollout restart
# deployment/"$service"` followed by `kubectl rollout status`, keeping the same contract:
#   restart.sh <service> <environment>            start a rolling restart
#   restart.sh --verify <service> <environment>   exit 0 once every replica is ready
set -euo pipefail

usage() { echo "usage: $0 [--verify] <service> <staging|production>" >&2; exit 64; }

mode=restart
if [[ ${1:-} == --verify ]]; then mode=verify; shift; fi
[[ $# -eq 2 ]] || usage
service=$1
environment=$2
[[ $service =~ ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ ]] || { echo "restart: invalid service name '$service'" >&2; exit 65; }
[[ $environment == staging || $environment == production ]] || { echo "restart: unknown environment '$environment'" >&2; exit 65; }

if [[ $mode == verify ]]; then
  echo "verify: checking readiness of ${service} in ${environment}"
  sleep 0.2
  echo "verify: 3/3 replicas ready"
  exit 0
fi

echo "restart: rolling restart of deployment/${service} in ${environment}"
for pod in 1 2 3; do
  sleep 0.2
  echo "restart: replica ${pod}/3 replaced"
done
echo "restart: rollout complete"
