#!/usr/bin/env bash
# Runs one service's migrate command once, as its own Job, with the overlay's image,
# configuration and secrets, and prints its log:
#   deploy/migrate.sh prod trading                 upgrade to head, then verify-schema (what the rollout does)
#   deploy/migrate.sh prod trading --to 3f2a9c1d   up or down to that revision, nothing more: the image's
#                                                  models describe its head, not that revision
#   RENDER=1 deploy/migrate.sh ...                 print the Job instead of applying it
# To roll a migration back, run this BEFORE the overlay's image goes back to the old release:
# only the newer image holds the downgrade steps (deploy/README.md).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -ge 2 ]] || die "usage: deploy/migrate.sh dev|prod SERVICE [--to REVISION]"
dir=$(overlay_dir "$1")
service=$2
shift 2
[[ " ${SERVICES_IN_ORDER[*]} " == *" $service "* ]] || die "no migrate Job for '$service' (${SERVICES_IN_ORDER[*]})"
need_kubectl
ns=$(overlay_namespace "$dir")
job="$service-migrate-$(date +%Y%m%d%H%M%S)"
args='"migrate"'
for arg in "$@"; do
  [[ $arg =~ ^[A-Za-z0-9_.:+@-]+$ ]] || die "unexpected argument '$arg'"
  args+=", \"$arg\""
done
# The Job migrates in its init container and verifies in its container. To another revision, the
# migrate container becomes the only one (and the failure policy that names verify-schema goes).
spec=/spec/template/spec
only_migrate=""
if [[ $# -gt 0 ]]; then
  only_migrate="
      - op: move
        from: $spec/initContainers/0
        path: $spec/containers/0
      - op: remove
        path: $spec/containers/1
      - op: remove
        path: $spec/initContainers
      - op: remove
        path: /spec/podFailurePolicy"
fi

# A throw-away kustomization on top of the overlay (kustomize takes relative bases only).
work=$(mktemp -d "$DEPLOY_DIR/k8s/.migrate.XXXXXX")
trap 'rm -rf "$work"' EXIT
cat >"$work/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../overlays/$(basename "$dir")
patches:
  - target:
      kind: Job
      name: $service-migrate
    patch: |-
      - op: replace
        path: /metadata/name
        value: $job
      - op: replace
        path: $spec/initContainers/0/args
        value: [$args]$only_migrate
YAML
selector="app.kubernetes.io/name=$service,app.kubernetes.io/component=migrate"
if [[ ${RENDER:-0} == 1 ]]; then
  kubectl kustomize "$work" | awk -v job="$job" '
    /^---$/ { if (keep) printf "%s", doc; doc = ""; keep = 0; next }
    { doc = doc $0 "\n"; if ($0 == "  name: " job) keep = 1 }
    END { if (keep) printf "%s", doc }'
  exit 0
fi
kubectl kustomize "$work" | run kubectl apply -l "$selector" -f -
wait_job "$ns" "$job"
