#!/usr/bin/env bash
# DEMO STAND-IN: pretends to scale a service so the scale-service runbook runs end to end.
# Replace with a real wrapper, e.g. `kubectl --context "$environment" scale
# deployment/"$service" --replicas="$replicas"`, keeping the same contract:
#   scale.sh <service> <environment> --replicas=<0..100>
set -euo pipefail

usage() { echo "usage: $0 <service> <staging|production> --replicas=<0..100>" >&2; exit 64; }

[[ $# -eq 3 ]] || usage
service=$1
environment=$2
[[ $3 == --replicas=* ]] || usage
replicas=${3#--replicas=}
[[ $service =~ ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ ]] || { echo "scale: invalid service name '$service'" >&2; exit 65; }
[[ $environment == staging || $environment == production ]] || { echo "scale: unknown environment '$environment'" >&2; exit 65; }
[[ $replicas =~ ^[0-9]{1,3}$ ]] && (( 10#$replicas <= 100 )) || { echo "scale: replicas must be a whole number 0..100, got '$replicas'" >&2; exit 65; }
replicas=$((10#$replicas))

echo "scale: setting deployment/${service} in ${environment} to ${replicas} replicas"
sleep 0.2
echo "scale: waiting for the rollout"
sleep 0.3
echo "scale: ${replicas} replicas available"
