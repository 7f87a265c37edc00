"""The kustomize base and overlays: they render, validate, and keep the deploy issue's rules."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import urlsplit

import pytest
from deploy_support import (
    CALLS,
    GATEWAY,
    GATEWAY_PORT,
    K8S,
    KUBERNETES_VERSION,
    PROCESSES,
    PROD_SECRETS,
    ROOT,
    SERVICES,
    Render,
    containers,
    main_container,
    pod_spec,
    rendered,
    selector_matches,
    where,
)

from gateway.config import Settings


def kubernetes_validate():
    try:
        import kubernetes_validate
    except ImportError:
        pytest.fail("kubernetes-validate is not installed: pip install kubernetes-validate==1.37.0", pytrace=False)
    return kubernetes_validate


def schema_errors(objects) -> list[str]:
    validator = kubernetes_validate()
    errors = []
    for obj in objects:
        name = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
        try:
            validator.validate(obj, KUBERNETES_VERSION, strict=True)
        except validator.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            errors.append(f"{name}: {path}: {exc.message}")
        except validator.SchemaNotFoundError as exc:
            errors.append(f"{name}: {exc.message}")
    return errors


# --- rendering and schemas ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["base", "dev", "prod"])
def test_renders_and_validates_against_the_kubernetes_schemas(name):
    render = rendered(name)
    assert render.objects, f"{name} renders to nothing"
    assert schema_errors(render.objects) == []


def test_strict_validation_rejects_what_the_api_server_would():
    original = rendered("dev").get("Deployment", "catalog")
    misspelt, mistyped = (json.loads(json.dumps(original)) for _ in range(2))
    main_container(misspelt)["readinessProbe"]["grpcc"] = main_container(misspelt)["readinessProbe"].pop("grpc")
    mistyped["spec"]["replicas"] = "three"
    assert schema_errors([original]) == []
    errors = schema_errors([misspelt, mistyped])
    assert len(errors) == 2 and "grpcc" in errors[0] and "three" in errors[1], errors


def test_overlays_have_their_own_namespace_with_the_restricted_pod_security_standard(overlay):
    (namespace,) = overlay.of_kind("Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for obj in overlay.objects:
        if obj["kind"] != "Namespace":
            assert obj["metadata"].get("namespace") == namespace["metadata"]["name"], obj["metadata"]


def test_every_image_is_tagged_and_none_is_latest(overlay):
    for workload in overlay.workloads():
        for container in containers(workload):
            image = container["image"]
            assert re.search(r":[\w][\w.-]*$|@sha256:[0-9a-f]{64}$", image), f"{where(workload, container)}: {image}"
            assert not image.endswith(":latest"), f"{where(workload, container)}: {image}"


# --- Deployments: probes, resources, security -------------------------------------------


def test_there_is_one_deployment_per_service_and_the_gateway(overlay):
    assert set(overlay.named("Deployment")) == set(PROCESSES)


@pytest.mark.parametrize("service", SERVICES)
def test_services_are_probed_over_the_grpc_health_protocol(overlay, service):
    container = main_container(overlay.get("Deployment", service))
    port = SERVICES[service]
    assert [p["containerPort"] for p in container["ports"] if p["name"] == "grpc"] == [port]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["grpc"]["port"] == port, f"{service} {probe}"


def test_the_gateway_is_probed_on_an_endpoint_that_needs_no_backend(overlay):
    # /healthz fails when any backend does: probing it would restart or unready every gateway
    # during one service's outage. /openapi.json is answered by the gateway alone.
    container = main_container(overlay.get("Deployment", GATEWAY))
    assert [p["containerPort"] for p in container["ports"] if p["name"] == "http"] == [GATEWAY_PORT]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/openapi.json", "port": "http"}, probe


def test_every_container_has_cpu_and_memory_requests_and_limits(overlay):
    for workload in overlay.workloads():
        for container in containers(workload):
            resources = container.get("resources", {})
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(kind, {})), f"{where(workload, container)} {kind}"


def test_every_pod_runs_non_root_read_only_without_privilege_escalation(overlay):
    for workload in overlay.workloads():
        spec = pod_spec(workload)
        pod_security = spec.get("securityContext", {})
        assert pod_security.get("seccompProfile") == {"type": "RuntimeDefault"}, where(workload)
        assert spec.get("automountServiceAccountToken") is False, where(workload)
        for container in containers(workload):
            security = container.get("securityContext", {})
            context = where(workload, container)
            assert security.get("runAsNonRoot", pod_security.get("runAsNonRoot")) is True, context
            assert security.get("runAsUser", pod_security.get("runAsUser", 0)) != 0, context
            assert security.get("readOnlyRootFilesystem") is True, context
            assert security.get("allowPrivilegeEscalation") is False, context
            assert security.get("capabilities", {}).get("drop") == ["ALL"], context
            mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
            assert "/tmp" in mounts, f"{context}: a read-only root needs a writable /tmp"


def test_rolling_updates_keep_the_old_pods_until_new_ones_are_ready(overlay):
    for deployment in overlay.of_kind("Deployment"):
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0, where(deployment)


def test_service_links_are_off_so_they_cannot_shadow_settings(overlay):
    # A Service named gateway would otherwise inject GATEWAY_PORT=tcp://... into every pod.
    for workload in overlay.workloads():
        assert pod_spec(workload).get("enableServiceLinks") is False, where(workload)


# --- migrate Jobs and the schema gate -----------------------------------------------------


def test_every_service_has_a_matching_migrate_job_and_nothing_else_does(overlay):
    assert set(overlay.named("Job")) == {f"{s}-migrate" for s in SERVICES}


@pytest.mark.parametrize("service", SERVICES)
def test_the_migrate_job_runs_the_service_image_with_the_service_settings(overlay, service):
    job = overlay.get("Job", f"{service}-migrate")
    deployment = overlay.get("Deployment", service)
    server = main_container(deployment)
    assert server["command"] + server["args"] == ["python", "-m", service, "serve"]
    database = [e for e in server["env"] if e["name"] == "DATABASE_URL"]
    for container in containers(job):
        assert container["image"] == server["image"]
        assert container["envFrom"] == server["envFrom"]
        assert container["env"] == database, "the same database, and no token keys: migrating needs none"
        assert [m["mountPath"] for m in container["volumeMounts"]] == ["/tmp"]
    spec = job["spec"]
    assert 1 <= spec["backoffLimit"] <= 10
    assert spec["ttlSecondsAfterFinished"] > 0
    assert spec.get("activeDeadlineSeconds", 0) > 0
    assert pod_spec(job)["restartPolicy"] == "Never"
    labels = job["spec"]["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == service
    assert labels["app.kubernetes.io/component"] == "migrate"


@pytest.mark.parametrize("service", SERVICES)
def test_the_migrate_job_verifies_the_schema_after_migrating(overlay, service):
    job = overlay.get("Job", f"{service}-migrate")
    # Init containers run one after the other and before the containers: verify-schema runs only
    # once migrate has succeeded.
    (migrate,) = pod_spec(job)["initContainers"]
    verify = main_container(job)
    assert (migrate["name"], migrate["command"] + migrate["args"]) == ("migrate", ["python", "-m", service, "migrate"])
    assert (verify["name"], verify["command"] + verify["args"]) == (
        "verify-schema",
        ["python", "-m", service, "verify-schema"],
    )


@pytest.mark.parametrize("service", SERVICES)
def test_a_schema_that_differs_fails_the_migrate_job_without_retries(overlay, service):
    # verify-schema exits 1 on a difference, which no retry changes, and 2 when it cannot read the database.
    (rule,) = overlay.get("Job", f"{service}-migrate")["spec"]["podFailurePolicy"]["rules"]
    assert rule == {
        "action": "FailJob",
        "onExitCodes": {"containerName": "verify-schema", "operator": "In", "values": [1]},
    }


@pytest.mark.parametrize("service", SERVICES)
def test_new_service_pods_wait_for_their_schema_before_serving(overlay, service):
    deployment = overlay.get("Deployment", service)
    (gate,) = pod_spec(deployment)["initContainers"]
    server = main_container(deployment)
    assert gate["name"] == "wait-for-schema"
    assert gate["image"] == server["image"]
    assert gate["command"] == ["python", "/opt/deploy/schema_gate.py"]
    database = [e for e in server["env"] if e["name"] == "DATABASE_URL"]
    assert [e for e in gate["env"] if e["name"] == "DATABASE_URL"] == database
    # servicekit.migrations.version_table(service)
    assert {"name": "ALEMBIC_VERSION_TABLE", "value": f"{service}_alembic_version"} in gate["env"]


def test_the_gateway_has_no_migrate_job_and_no_schema_gate(overlay):
    assert f"{GATEWAY}-migrate" not in overlay.named("Job")
    assert "initContainers" not in pod_spec(overlay.get("Deployment", GATEWAY))


# --- Services, addresses, configuration ---------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_grpc_services_are_headless_for_client_side_load_balancing(overlay, service):
    svc = overlay.get("Service", service)
    deployment = overlay.get("Deployment", service)
    assert svc["spec"]["clusterIP"] == "None"
    assert not svc["spec"].get("publishNotReadyAddresses"), "DNS must only list ready pods"
    assert selector_matches(
        {"matchLabels": svc["spec"]["selector"]}, deployment["spec"]["template"]["metadata"]["labels"]
    )
    (port,) = svc["spec"]["ports"]
    assert (port["port"], port["targetPort"], port["appProtocol"]) == (SERVICES[service], "grpc", "grpc")
    assert overlay.config_data()[f"{service.upper()}_ADDR"] == f"{service}:{SERVICES[service]}"


def env_values(render: Render, container) -> dict[str, str | None]:
    """The container's environment as the kubelet builds it: envFrom, then env over it (None: valueFrom)."""
    values = {}
    for source in container.get("envFrom", []):
        values |= render.get("ConfigMap", source["configMapRef"]["name"]).get("data", {})
    return values | {e["name"]: e.get("value") for e in container.get("env", [])}


def env_names(render: Render, container) -> set[str]:
    return set(env_values(render, container))


def secret_ref(container, variable: str) -> dict:
    (entry,) = [e for e in container.get("env", []) if e["name"] == variable]
    return entry["valueFrom"]["secretKeyRef"]


def secret_mount_for(workload, container, path: str) -> dict:
    """The secret volume whose mount contains path, with the key that path reads."""
    volumes = {v["name"]: v for v in pod_spec(workload)["volumes"]}
    for mount in container["volumeMounts"]:
        prefix = mount["mountPath"].rstrip("/") + "/"
        if path.startswith(prefix):
            secret = volumes[mount["name"]].get("secret")
            assert secret, f"{where(workload, container)}: {path} is not mounted from a Secret"
            assert mount.get("readOnly") is True
            key = path[len(prefix) :]
            items = {i["path"]: i["key"] for i in secret.get("items", [])}
            return {"name": secret["secretName"], "key": items.get(key, key)}
    raise AssertionError(f"{where(workload, container)}: nothing mounted at {path}")


COMMON = {"DATABASE_URL", "GRPC_PORT", "ENVIRONMENT", "LOG_LEVEL", "AUTH_ISSUER", "AUTH_AUDIENCE", "AUTH_JWKS_FILE"}
ADDRS = {f"{s.upper()}_ADDR" for s in SERVICES}


@pytest.mark.parametrize("service", SERVICES)
def test_services_get_every_setting_with_secrets_from_secrets(overlay, service):
    deployment = overlay.get("Deployment", service)
    container = main_container(deployment)
    extra = {"accounts": {"AUTH_SIGNING_KEY_FILE"}, "trading": {"ELASTICSEARCH_URL"}}.get(service, set())
    assert COMMON | ADDRS | extra <= env_names(overlay, container)
    assert [e["value"] for e in container["env"] if e["name"] == "GRPC_PORT"] == [str(SERVICES[service])]
    assert secret_ref(container, "DATABASE_URL") == {
        "name": secret_name(overlay, f"{service}-secrets"),
        "key": "DATABASE_URL",
    }
    jwks = secret_mount_for(deployment, container, overlay.config_data()["AUTH_JWKS_FILE"])
    assert jwks == {"name": secret_name(overlay, "auth-jwks"), "key": "jwks.json"}
    if service == "accounts":
        (path,) = [e["value"] for e in container["env"] if e["name"] == "AUTH_SIGNING_KEY_FILE"]
        key = secret_mount_for(deployment, container, path)
        assert key == {"name": secret_name(overlay, "accounts-secrets"), "key": "signing-key.pem"}
    if service == "trading":
        assert secret_ref(container, "ELASTICSEARCH_URL") == {
            "name": secret_name(overlay, "trading-secrets"),
            "key": "ELASTICSEARCH_URL",
            "optional": True,
        }


def test_only_accounts_holds_the_signing_key(overlay):
    for workload in overlay.workloads():
        if workload["metadata"]["name"].split("-")[0] == "accounts":
            continue
        for volume in pod_spec(workload).get("volumes", []):
            secret = volume.get("secret", {}).get("secretName", "")
            assert not secret.startswith("accounts-secrets"), where(workload)


IDENTITY_SECRET = re.compile(r"(\w+)-identity(?:-[a-z0-9]{10})?")


@pytest.mark.parametrize("service", SERVICES)
def test_services_mount_their_own_identity_key_and_every_services_public_keys(overlay, service):
    deployment = overlay.get("Deployment", service)
    container = main_container(deployment)
    settings = env_values(overlay, container)
    key = secret_mount_for(deployment, container, settings["SERVICE_KEY_FILE"])
    assert key == {"name": secret_name(overlay, f"{service}-identity"), "key": "service-key.pem"}
    (volume,) = [
        v["secret"] for v in pod_spec(deployment)["volumes"] if v.get("secret", {}).get("secretName") == key["name"]
    ]
    # Only the key, readable by the owner and the pod's fsGroup (the non-root user), like the signing key.
    assert volume["defaultMode"] == 0o440
    assert [i["key"] for i in volume["items"]] == ["service-key.pem"]
    keys = secret_mount_for(deployment, container, settings["SERVICE_KEYS_FILE"])
    assert keys == {"name": secret_name(overlay, "service-keys"), "key": "service-keys.json"}


def test_only_a_service_itself_holds_its_identity(overlay):
    # Nor the gateway (it calls no internal method), the migrate Jobs or the schema gates.
    for workload in overlay.workloads():
        for volume in pod_spec(workload).get("volumes", []):
            identity = IDENTITY_SECRET.fullmatch(volume.get("secret", {}).get("secretName", ""))
            if not identity:
                continue
            assert (workload["kind"], workload["metadata"]["name"]) == ("Deployment", identity[1]), where(workload)
            mounted_by = [
                c["name"]
                for c in containers(workload)
                if volume["name"] in {m["name"] for m in c.get("volumeMounts", [])}
            ]
            assert mounted_by == [identity[1]], f"{where(workload)}: only the server container"


@pytest.mark.parametrize("service", SERVICES)
def test_services_listen_on_every_address_of_their_pod(overlay, service):
    # servicekit listens on loopback unless GRPC_HOST says otherwise: no probe or caller would reach it.
    assert env_values(overlay, main_container(overlay.get("Deployment", service)))["GRPC_HOST"] == "0.0.0.0"


def test_the_gateway_gets_its_settings(overlay):
    container = main_container(overlay.get("Deployment", GATEWAY))
    assert {"GATEWAY_PORT", "BACKEND_TIMEOUT_SECONDS"} | ADDRS <= env_names(overlay, container)
    front_door = {"RATE_LIMIT_SIGN_IN", "RATE_LIMIT_WRITES", "RATE_LIMIT_READS", "MAX_IN_FLIGHT", "MAX_BODY_BYTES"}
    assert front_door | {"MAX_HEADER_BYTES", "CORS_ALLOWED_ORIGINS", "RATE_LIMIT_SIGN_IN_METHODS"} <= env_names(
        overlay, container
    )
    settings = Settings.from_env({name: value for name, value in env_values(overlay, container).items() if value})
    defaults = Settings()
    assert settings.rate_limits == defaults.rate_limits, "the manifest's limits parse and are the documented ones"
    assert settings.sign_in_methods == defaults.sign_in_methods
    assert overlay.config_data()["GATEWAY_PORT"] == str(GATEWAY_PORT)


def secret_name(render: Render, base: str) -> str:
    """The name a Secret has in this render (dev's generator adds a hash suffix)."""
    if render.name == "prod":
        return base
    names = [n for n in render.named("Secret") if re.fullmatch(rf"{re.escape(base)}-[a-z0-9]{{10}}", n)]
    assert len(names) == 1, f"{render.name}: no generated Secret {base}"
    return names[0]


def secrets_read(workload) -> list[tuple[str, set[str], bool]]:
    """(Secret, keys, optional) of every variable and volume of a workload that comes from a Secret."""
    reads = []
    for container in containers(workload):
        for entry in container.get("env", []):
            ref = entry.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                reads.append((ref["name"], {ref["key"]}, ref.get("optional", False)))
    for volume in pod_spec(workload).get("volumes", []):
        if secret := volume.get("secret"):
            keys = {i["key"] for i in secret.get("items", [])}
            reads.append((secret["secretName"], keys, secret.get("optional", False)))
    return reads


def test_every_secret_a_pod_reads_exists_or_is_documented(overlay):
    present = overlay.named("Secret")
    for workload in overlay.workloads():
        for name, keys, optional in secrets_read(workload):
            context = f"{where(workload)}: {name} {sorted(keys)}"
            if overlay.name == "prod":
                assert name in PROD_SECRETS and keys <= PROD_SECRETS[name], context
            else:
                assert name in present, context
                assert keys <= set(present[name]["data"]) or optional, context


def test_environment_is_development_in_dev_and_production_in_prod(dev, prod):
    assert dev.config_data()["ENVIRONMENT"] == "development"
    assert prod.config_data()["ENVIRONMENT"] == "production"


# --- Ingress -----------------------------------------------------------------------------------


def test_the_ingress_sends_the_public_paths_to_the_gateway_and_not_metrics(overlay):
    (ingress,) = overlay.of_kind("Ingress")
    gateway = overlay.get("Service", GATEWAY)
    port_names = {p["name"] for p in gateway["spec"]["ports"]}
    paths = {}
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            assert backend["name"] == GATEWAY and backend["port"]["name"] in port_names
            paths[path["path"]] = path["pathType"]
    assert paths["/v1"] == "Prefix" and paths["/healthz"] == "Exact" and "/openapi.json" in paths
    assert not any("/metrics".startswith(p) for p, kind in paths.items() if kind == "Prefix" and p != "/")
    assert "/" not in paths
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"


# --- dev ------------------------------------------------------------------------------------------


def test_dev_runs_one_replica_of_everything(dev):
    assert {n: d["spec"]["replicas"] for n, d in dev.named("Deployment").items()} == dict.fromkeys(PROCESSES, 1)


def decode(secret: dict, key: str) -> str:
    return base64.b64decode(secret["data"][key]).decode()


def test_dev_runs_postgis_as_a_statefulset_with_a_volume(dev):
    postgres = dev.get("StatefulSet", "postgres")
    container = main_container(postgres)
    assert container["image"].startswith("postgis/postgis:")
    (claim,) = postgres["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"]
    assert {m["name"]: m["mountPath"] for m in container["volumeMounts"]}[
        claim["metadata"]["name"]
    ] == "/var/lib/postgresql/data"
    service = dev.get("Service", postgres["spec"]["serviceName"])
    assert selector_matches(
        {"matchLabels": service["spec"]["selector"]}, postgres["spec"]["template"]["metadata"]["labels"]
    )
    assert "readinessProbe" in container and "livenessProbe" in container


@pytest.mark.parametrize("service", SERVICES)
def test_dev_services_reach_their_own_database_with_the_password_postgres_was_given(dev, service):
    url = urlsplit(decode(dev.get("Secret", secret_name(dev, f"{service}-secrets")), "DATABASE_URL"))
    assert url.scheme == "postgresql+asyncpg"
    assert (url.hostname, url.port, url.path, url.username) == ("postgres", 5432, f"/{service}", service)
    credentials = dev.get("Secret", secret_name(dev, "postgres-credentials"))
    assert url.password == decode(credentials, f"{service.upper()}_DB_PASSWORD")
    init = next(c for n, c in dev.named("ConfigMap").items() if n.startswith("postgres-init"))
    script = init["data"]["init-databases.sh"]
    assert (
        "for ctx in catalog accounts trading messaging" in script and "CREATE EXTENSION IF NOT EXISTS postgis" in script
    )


def ed25519_public_x(pem: bytes, what: str) -> str:
    """The JWK `x` of an Ed25519 private key in PEM, or an assertion that it is none."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = serialization.load_pem_private_key(pem, None)
    assert isinstance(private, Ed25519PrivateKey), f"{what}: tokens are EdDSA (servicekit.auth)"
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_dev_token_keys_are_a_matching_ed25519_pair(dev):
    pem = decode(dev.get("Secret", secret_name(dev, "accounts-secrets")), "signing-key.pem").encode()
    (jwk,) = json.loads(decode(dev.get("Secret", secret_name(dev, "auth-jwks")), "jwks.json"))["keys"]
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    assert jwk["x"] == ed25519_public_x(pem, "the signing key")


def test_dev_token_keys_work_with_servicekit(dev):
    auth = pytest.importorskip("servicekit.auth")
    from datetime import UTC, datetime, timedelta
    from uuid import uuid4

    config = dev.config_data()
    key = auth.SigningKey.from_pem(
        decode(dev.get("Secret", secret_name(dev, "accounts-secrets")), "signing-key.pem").encode()
    )
    jwks = json.loads(decode(dev.get("Secret", secret_name(dev, "auth-jwks")), "jwks.json"))
    claims = auth.access_token_claims(
        uuid4(),
        auth.Role.ADMIN,
        issuer=config["AUTH_ISSUER"],
        audience=config["AUTH_AUDIENCE"],
        now=datetime.now(UTC),
        ttl=timedelta(minutes=5),
    )
    verifier = auth.TokenVerifier(jwks, issuer=config["AUTH_ISSUER"], audience=config["AUTH_AUDIENCE"])
    assert verifier.verify(key.sign(claims)).role is auth.Role.ADMIN


def published_service_keys(render: Render) -> dict:
    return json.loads(decode(render.get("Secret", secret_name(render, "service-keys")), "service-keys.json"))


def identity_pem(render: Render, service: str) -> bytes:
    return decode(render.get("Secret", secret_name(render, f"{service}-identity")), "service-key.pem").encode()


def test_dev_service_identities_are_ed25519_keys_published_under_their_own_service(dev):
    published = published_service_keys(dev)
    assert set(published) == set(SERVICES)
    for service in SERVICES:
        x = ed25519_public_x(identity_pem(dev, service), f"{service}-identity")
        owners = [owner for owner, jwks in published.items() for jwk in jwks["keys"] if jwk["x"] == x]
        assert owners == [service]
        for jwk in published[service]["keys"]:
            assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")


def test_dev_service_identities_work_with_servicekit(dev):
    auth = pytest.importorskip("servicekit.auth")
    identity = pytest.importorskip("servicekit.identity")
    published = published_service_keys(dev)
    for service in SERVICES:
        key = auth.SigningKey.from_pem(identity_pem(dev, service))
        assert key.public_jwk in published[service]["keys"], "published exactly as servicekit writes a JWK"
        for audience in SERVICES:
            token = identity.ServiceIdentity(service, key).token_for(audience)
            assert identity.ServiceKeys(published, audience=audience).verify(token) == service


# --- prod -----------------------------------------------------------------------------------------


def test_prod_runs_three_replicas_and_autoscales_every_deployment(prod):
    hpas = prod.named("HorizontalPodAutoscaler")
    for name, deployment in prod.named("Deployment").items():
        assert deployment["spec"]["replicas"] == 3
        (hpa,) = [
            h
            for h in hpas.values()
            if h["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        ]
        assert hpa["spec"]["minReplicas"] == 3 < hpa["spec"]["maxReplicas"]
    assert len(hpas) == len(PROCESSES)


def test_prod_has_a_disruption_budget_for_every_deployment(prod):
    budgets = prod.of_kind("PodDisruptionBudget")
    for name, deployment in prod.named("Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        matching = [b for b in budgets if selector_matches(b["spec"]["selector"], labels)]
        assert len(matching) == 1, name
        assert matching[0]["spec"]["maxUnavailable"] == 1


def test_prod_spreads_pods_over_zones_and_nodes(prod):
    for deployment in prod.of_kind("Deployment"):
        keys = {c["topologyKey"] for c in pod_spec(deployment)["topologySpreadConstraints"]}
        assert keys == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}, where(deployment)


def test_prod_carries_no_secrets_and_no_database(prod):
    assert prod.of_kind("Secret") == []
    assert prod.of_kind("StatefulSet") == []


def test_dev_has_no_network_policies_and_prod_denies_by_default(dev, prod):
    assert dev.of_kind("NetworkPolicy") == []
    policies = prod.of_kind("NetworkPolicy")
    assert any(
        p["spec"]["podSelector"] == {}
        and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
        for p in policies
    )


def pod_labels(render: Render) -> dict[str, dict[str, str]]:
    """Pod labels by workload: 'catalog' (the server pods), 'catalog-migrate', ..."""
    return {w["metadata"]["name"]: w["spec"]["template"]["metadata"]["labels"] for w in render.workloads()}


def policies_for(render: Render, labels: dict[str, str], kind: str) -> list[dict]:
    return [
        p
        for p in render.of_kind("NetworkPolicy")
        if kind in p["spec"]["policyTypes"] and selector_matches(p["spec"]["podSelector"], labels)
    ]


def peers_match(peer: dict, labels: dict[str, str]) -> bool:
    """A same-namespace pod peer (no namespaceSelector, no ipBlock) selecting these labels."""
    return set(peer) == {"podSelector"} and selector_matches(peer["podSelector"], labels)


def allows(rules: list[dict], direction: str, labels: dict[str, str], port: int) -> bool:
    for rule in rules:
        peers = rule.get(direction)
        ports = {p["port"] for p in rule.get("ports", [])}
        if (not peers or any(peers_match(peer, labels) for peer in peers)) and (not ports or port in ports):
            return True
    return False


def allowed_calls(prod: Render) -> set[tuple[str, str]]:
    """(source workload, target process) pairs the NetworkPolicies let through, both ways."""
    labels = pod_labels(prod)
    ports = {**SERVICES, GATEWAY: GATEWAY_PORT}
    allowed = set()
    for source, source_labels in labels.items():
        for target in PROCESSES:
            target_labels, port = labels[target], ports[target]
            egress = [r for p in policies_for(prod, source_labels, "Egress") for r in p["spec"].get("egress", [])]
            ingress = [r for p in policies_for(prod, target_labels, "Ingress") for r in p["spec"].get("ingress", [])]
            if allows(egress, "to", target_labels, port) and allows(ingress, "from", source_labels, port):
                allowed.add((source, target))
    return allowed


def test_prod_network_policies_allow_exactly_the_calls_of_the_design(prod):
    assert allowed_calls(prod) == {(caller, callee) for caller, callees in CALLS.items() for callee in callees}


CALLERS_OPTION = re.compile(r'\(marketplace\.common\.v1\.callers\)\s*=\s*"(\w+)"')


def test_prod_network_policies_let_the_callers_a_contract_names_reach_its_internal_methods(prod):
    # Each service's own contract (protos/marketplace/<service>/); the event feed every service
    # serves (common/v1/events.proto) admits any service, and who follows which is CALLS.
    named = {
        (caller, service)
        for service in SERVICES
        for proto in (ROOT / "protos" / "marketplace" / service).rglob("*.proto")
        for caller in CALLERS_OPTION.findall(proto.read_text())
    }
    assert {("trading", "accounts"), ("trading", "catalog")} <= named, "HoldFunds..., TransferItem"
    assert all(caller in SERVICES for caller, _ in named), "the gateway has no identity"
    # A service calling itself (accounts follows its own suspensions) stays on the pod's loopback.
    assert {(caller, service) for caller, service in named if caller != service} <= allowed_calls(prod)


def test_prod_network_policies_open_dns_datastores_and_the_ingress_controller_only(prod):
    labels = pod_labels(prod)

    def egress_ports(workload: str, peer_kind: str) -> set[int]:
        rules = [r for p in policies_for(prod, labels[workload], "Egress") for r in p["spec"].get("egress", [])]
        return {
            port["port"]
            for r in rules
            if any(peer_kind in peer for peer in r.get("to", []))
            for port in r.get("ports", [])
        }

    for workload in labels:
        service = workload.removesuffix("-migrate")
        dns = [
            r
            for p in policies_for(prod, labels[workload], "Egress")
            for r in p["spec"].get("egress", [])
            if any(peer.get("podSelector") == {"matchLabels": {"k8s-app": "kube-dns"}} for peer in r.get("to", []))
        ]
        assert dns and {p["port"] for p in dns[0]["ports"]} == {53}, workload
        datastores = egress_ports(workload, "ipBlock")
        expected = set() if service == GATEWAY else {5432}
        if workload == "trading":
            expected |= {9200, 443}
        assert datastores == expected, workload
    (rule,) = [r for p in policies_for(prod, labels[GATEWAY], "Ingress") for r in p["spec"].get("ingress", [])]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]
    assert rule["ports"] == [{"protocol": "TCP", "port": GATEWAY_PORT}]


def test_the_kustomize_tree_has_no_stray_files():
    # Every YAML under deploy/k8s is reachable from some kustomization (a forgotten file renders nothing).
    listed = set()
    for kustomization in K8S.rglob("kustomization.yaml"):
        text = kustomization.read_text()
        for entry in re.findall(r"^\s*-\s+(?:path:\s+)?([\w./-]+\.yaml)\s*$", text, re.M):
            listed.add((kustomization.parent / entry).resolve())
        for entry in re.findall(r"^\s+path:\s+([\w./-]+\.yaml)\s*$", text, re.M):
            listed.add((kustomization.parent / entry).resolve())
    for path in K8S.rglob("*.yaml"):
        if path.name != "kustomization.yaml":
            assert path.resolve() in listed, f"{path.relative_to(K8S)} is in no kustomization"
