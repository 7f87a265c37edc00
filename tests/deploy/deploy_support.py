"""Helpers for the deployment tests: the kustomize renders of deploy/k8s and the call graph.

Nothing here needs a cluster or a Docker engine: manifests are rendered with `kubectl kustomize`
and checked against the Kubernetes schemas (kubernetes-validate) and the rules of the deploy
issue; Dockerfiles are read as text.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from servicekit.config import DEFAULT_PORTS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
OVERLAYS = ("dev", "prod")
KUBERNETES_VERSION = "1.37.0"

SERVICES = DEFAULT_PORTS
GATEWAY = "gateway"
GATEWAY_PORT = 8080
PROCESSES = (*SERVICES, GATEWAY)

# Who calls whom, from DESIGN.md (event feeds are streaming RPCs the consumer opens).
CALLS = {
    "gateway": {"catalog", "accounts", "trading", "messaging"},
    "catalog": {"accounts"},
    "accounts": set(),
    "trading": {"accounts", "catalog", "messaging"},
    "messaging": {"trading", "accounts"},
}

# Secrets production expects to exist (made outside kustomize), with the keys read from them.
PROD_SECRETS = {
    "catalog-secrets": {"DATABASE_URL"},
    "accounts-secrets": {"DATABASE_URL", "signing-key.pem"},
    "trading-secrets": {"DATABASE_URL", "ELASTICSEARCH_URL"},
    "messaging-secrets": {"DATABASE_URL"},
    "auth-jwks": {"jwks.json"},
    **{f"{service}-identity": {"service-key.pem"} for service in SERVICES},
    "service-keys": {"service-keys.json"},
}


def kubectl() -> str:
    path = shutil.which("kubectl")
    if path is None:
        pytest.fail(
            "kubectl is not installed: the deploy tests render deploy/k8s with `kubectl kustomize`. "
            "Install kubectl (https://kubernetes.io/docs/tasks/tools/) and run the tests again.",
            pytrace=False,
        )
    return path


def yaml_module():
    try:
        import yaml
    except ImportError:
        pytest.fail("PyYAML is not installed: pip install kubernetes-validate==1.37.0 (it brings PyYAML)")
    return yaml


def kustomize(path: Path) -> list[dict[str, Any]]:
    result = subprocess.run([kubectl(), "kustomize", str(path)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"`kubectl kustomize {path.relative_to(ROOT)}` failed:\n{result.stderr}", pytrace=False)
    return [doc for doc in yaml_module().safe_load_all(result.stdout) if doc]


@dataclass
class Render:
    """The objects one kustomization renders to."""

    name: str
    objects: list[dict[str, Any]]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] == kind]

    def named(self, kind: str) -> dict[str, dict[str, Any]]:
        return {o["metadata"]["name"]: o for o in self.of_kind(kind)}

    def get(self, kind: str, name: str) -> dict[str, Any]:
        found = self.named(kind)
        assert name in found, f"{self.name}: no {kind} named {name} (have {sorted(found)})"
        return found[name]

    def workloads(self) -> list[dict[str, Any]]:
        """Everything with a pod template."""
        return [o for o in self.objects if o["kind"] in ("Deployment", "StatefulSet", "Job")]

    def config_data(self) -> dict[str, str]:
        return self.get("ConfigMap", config_map_name(self)).get("data", {})


def config_map_name(render: Render) -> str:
    names = [n for n in render.named("ConfigMap") if n.startswith("marketplace-config")]
    assert len(names) == 1, f"{render.name}: expected one marketplace-config ConfigMap, got {names}"
    return names[0]


_renders: dict[str, Render] = {}


def rendered(name: str) -> Render:
    """name: 'base' or an overlay; rendered once per session."""
    if name not in _renders:
        path = K8S / "base" if name == "base" else K8S / "overlays" / name
        _renders[name] = Render(name, kustomize(path))
    return _renders[name]


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def containers(workload: dict[str, Any], *, init: bool = True) -> list[dict[str, Any]]:
    spec = pod_spec(workload)
    return [*(spec.get("initContainers", []) if init else []), *spec["containers"]]


def main_container(workload: dict[str, Any]) -> dict[str, Any]:
    (container,) = pod_spec(workload)["containers"]
    return container


def where(workload: dict[str, Any], container: dict[str, Any] | None = None) -> str:
    name = f"{workload['kind']}/{workload['metadata']['name']}"
    return f"{name} container {container['name']}" if container else name


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """Kubernetes LabelSelector semantics; an empty selector matches everything."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True
