# Shared by deploy/rollout.sh and deploy/migrate.sh (sourced, not run).
# DRY_RUN=1 prints the commands that change or wait on the cluster instead of running them.

DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SERVICES_IN_ORDER=(accounts catalog trading messaging)
JOB_TIMEOUT=${JOB_TIMEOUT:-1800}
ROLLOUT_TIMEOUT=${ROLLOUT_TIMEOUT:-10m}

die() { echo "deploy: $*" >&2; exit 1; }

need_kubectl() {
  command -v kubectl >/dev/null || die "kubectl not found: install kubectl (https://kubernetes.io/docs/tasks/tools/)"
}

overlay_dir() {
  local dir="$DEPLOY_DIR/k8s/overlays/$1"
  [[ -f $dir/kustomization.yaml ]] || die "no overlay '$1' (try: $(ls "$DEPLOY_DIR/k8s/overlays" | tr '\n' ' '))"
  echo "$dir"
}

overlay_namespace() {
  sed -n 's/^namespace: *//p' "$1/kustomization.yaml"
}

run() {
  if [[ ${DRY_RUN:-0} == 1 ]]; then echo "+ $*"; else "$@"; fi
}

# Waits for job/$2 in namespace $1 to complete; fails fast, with the logs, when it failed.
wait_job() {
  local ns=$1 job=$2 deadline=$((SECONDS + JOB_TIMEOUT)) conditions
  if [[ ${DRY_RUN:-0} == 1 ]]; then echo "+ wait for job/$job to complete"; return 0; fi
  while ((SECONDS < deadline)); do
    conditions=$(kubectl -n "$ns" get job "$job" \
      -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type}{" "}{end}')
    case " $conditions " in
      *" Complete "*) kubectl -n "$ns" logs "job/$job" --tail=20 || true; return 0 ;;
      *" Failed "*)
        kubectl -n "$ns" logs "job/$job" --tail=100 || true
        die "job/$job failed; nothing after it was rolled out"
        ;;
    esac
    sleep 5
  done
  die "job/$job did not finish within ${JOB_TIMEOUT}s"
}
