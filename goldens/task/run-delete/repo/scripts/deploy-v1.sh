#!/bin/sh
# Deprecated: use scripts/deploy.sh.
set -eu
kubectl apply -f deploy/v1/
echo "deployed (v1)"