#!/usr/bin/env bash
# DEMO STAND-IN: pretends to build and push an image so the deploy-service runbook runs end to end.
# Replace with your real build wrapper (e.g. `docker buildx build --push` or a CI trigger) and keep
# the same contract: argv is <service> <version>, progress on stdout, non-zero exit on failure.
set -euo pipefail

usage() { echo "usage: $0 <service> <version>" >&2; exit 64; }

[[ $# -eq 2 ]] || usage
service=$1
version=$2
# The runbook validates these too; a wrapper must not trust its caller.
[[ $service =~ ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ ]] || { echo "build: invalid service name '$service'" >&2; exit 65; }
[[ $version =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$ ]] || { echo "build: invalid version '$version'" >&2; exit 65; }

image="registry.example.internal/${service}:${version}"
echo "build: resolving sources for ${service}@${version}"
sleep 0.2
echo "build: compiling and running unit tests"
sleep 0.3
echo "build: building image ${image}"
sleep 0.3
echo "build: pushing ${image}"
sleep 0.2
echo "build: done (${image})"
