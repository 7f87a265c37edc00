#!/usr/bin/env bash
# Deploys an overlay to the cluster of kubectl's current context, in the rollout order of
# deploy/README.md:
#   deploy/rollout.sh dev|prod        (DRY_RUN=1 prints the plan instead)
#
# 1. everything that is neither a workload nor a migrate Job: Namespace, ConfigMap, Secrets
#    (dev), Services, NetworkPolicies, Ingress, and the dev PostgreSQL (waited for);
# 2. per service, accounts -> catalog -> trading -> messaging: its migrate Job (the finished one
#    of the last release is deleted first, Jobs being immutable), waited for; then its
#    Deployment, HorizontalPodAutoscaler and PodDisruptionBudget, waited for;
# 3. the gateway last.
# A failed migration stops the rollout there: that service and those after it keep running
# the previous release.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# == 1 ]] || die "usage: deploy/rollout.sh dev|prod"
need_kubectl
dir=$(overlay_dir "$1")
ns=$(overlay_namespace "$dir")
rendered=$(mktemp)
trap 'rm -f "$rendered"' EXIT
kubectl kustomize "$dir" >"$rendered"

echo "deploy: 1/3 shared objects into namespace $ns"
run kubectl apply -f "$rendered" -l 'app.kubernetes.io/component notin (server,migrate)'
if grep -q '^kind: StatefulSet' "$rendered"; then
  run kubectl -n "$ns" rollout status statefulset/postgres --timeout="$ROLLOUT_TIMEOUT"
fi

echo "deploy: 2/3 services: ${SERVICES_IN_ORDER[*]}"
for service in "${SERVICES_IN_ORDER[@]}"; do
  run kubectl -n "$ns" delete job "$service-migrate" --ignore-not-found --wait=true
  run kubectl apply -f "$rendered" -l "app.kubernetes.io/name=$service,app.kubernetes.io/component=migrate"
  wait_job "$ns" "$service-migrate"
  run kubectl apply -f "$rendered" -l "app.kubernetes.io/name=$service,app.kubernetes.io/component=server"
  run kubectl -n "$ns" rollout status "deployment/$service" --timeout="$ROLLOUT_TIMEOUT"
done

echo "deploy: 3/3 gateway"
run kubectl apply -f "$rendered" -l "app.kubernetes.io/name=gateway,app.kubernetes.io/component=server"
run kubectl -n "$ns" rollout status deployment/gateway --timeout="$ROLLOUT_TIMEOUT"
echo "deploy: done"
