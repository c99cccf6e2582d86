#!/bin/sh
set -eu
kubectl apply -f deploy/
echo "deployed"
