#!/usr/bin/env bash
# DEMO STAND-IN: pretends to generate test skeletons so the generate-tests runbook works end to end.
# Replace with your test-generation tool, keeping the contract:
#   generate-tests.sh <service>; the proposed skeletons on stdout for review.
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 <service>" >&2; exit 64; }
service=$1
[[ $service =~ ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ ]] || { echo "generate-tests: invalid service name '$service'" >&2; exit 65; }

echo "generate-tests: least-covered paths in ${service}: handler/error-path, client/retry"
sleep 0.2
cat <<SKELETON
describe('${service} handler', () => {
  it('returns 503 when the upstream times out', async () => { /* TODO */ });
});
SKELETON
