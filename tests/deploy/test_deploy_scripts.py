"""deploy/rollout.sh, deploy/migrate.sh and the key tools in deploy/tools, run without a cluster."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from deploy_support import CALLS, DEPLOY, GATEWAY, KUBERNETES_VERSION, OVERLAYS, SERVICES, kubectl, rendered

SCRIPTS = ("lib.sh", "rollout.sh", "migrate.sh")


def bash(*args: str, **env: str) -> subprocess.CompletedProcess:
    kubectl()  # fails with the install hint when kubectl is missing
    return subprocess.run(
        ["bash", *args], capture_output=True, text=True, cwd=DEPLOY.parent, env={**os.environ, **env}, timeout=60
    )


@pytest.mark.parametrize("script", SCRIPTS)
def test_scripts_parse(script):
    result = subprocess.run(["bash", "-n", str(DEPLOY / script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def plan(overlay: str) -> list[str]:
    result = bash(str(DEPLOY / "rollout.sh"), overlay, DRY_RUN="1")
    assert result.returncode == 0, result.stderr
    return [line[2:] for line in result.stdout.splitlines() if line.startswith("+ ")]


def selector_of(command: str) -> str | None:
    match = re.search(r" -l (.+)$", command)
    return match.group(1) if match and command.startswith("kubectl apply") else None


def matches(selector: str, labels: dict[str, str]) -> bool:
    """The two selector forms rollout.sh uses: `k=v,k=v` and `k notin (a,b)`."""
    notin = re.fullmatch(r"([\w./-]+) notin \(([\w,-]+)\)", selector)
    if notin:
        return labels.get(notin.group(1)) not in notin.group(2).split(",")
    return all(labels.get(k) == v for k, v in (term.split("=", 1) for term in selector.split(",")))


def applied_names(overlay: str) -> list[str]:
    """Which process each apply of the plan rolls: 'shared', then services, gateway last."""
    names = []
    for command in plan(overlay):
        selector = selector_of(command)
        if selector:
            name = re.search(r"app\.kubernetes\.io/name=([\w-]+)", selector)
            names.append(name.group(1) if name else "shared")
    return names


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_rollout_applies_shared_objects_then_each_service_migration_first_then_the_gateway(overlay):
    steps = plan(overlay)
    namespace = rendered(overlay).of_kind("Namespace")[0]["metadata"]["name"]
    applies = [(i, selector_of(c)) for i, c in enumerate(steps) if selector_of(c)]
    assert applies[0][1] == "app.kubernetes.io/component notin (server,migrate)"
    order = []
    for service in (*SERVICES, GATEWAY):
        selector = f"app.kubernetes.io/name={service},app.kubernetes.io/component="
        migrate = [i for i, s in applies if s == selector + "migrate"]
        (server,) = [i for i, s in applies if s == selector + "server"]
        rollout = steps.index(f"kubectl -n {namespace} rollout status deployment/{service} --timeout=10m")
        assert server < rollout
        if service == GATEWAY:
            assert migrate == []
        else:
            (migrate,) = migrate
            assert steps[migrate - 1].endswith(f"delete job {service}-migrate --ignore-not-found --wait=true")
            assert steps[migrate + 1] == f"wait for job/{service}-migrate to complete"
            assert migrate < server
        order.append((server, service))
    assert [s for _, s in sorted(order)][-1] == GATEWAY


def test_dev_rollout_waits_for_its_database_before_migrating():
    steps = plan("dev")
    database = steps.index("kubectl -n marketplace-dev rollout status statefulset/postgres --timeout=10m")
    first_migration = next(i for i, s in enumerate(steps) if "component=migrate" in s)
    assert database < first_migration
    assert not any("statefulset" in s for s in plan("prod"))


def test_rollout_order_puts_callees_before_callers_except_in_the_trading_messaging_cycle():
    order = [n for n in applied_names("prod") if n != "shared"]
    position = {name: order.index(name) for name in order}
    backwards = {
        (caller, callee)
        for caller, callees in CALLS.items()
        for callee in callees
        if position[callee] > position[caller]
    }
    # trading and messaging call each other, so one edge must point backwards; README says which.
    assert backwards == {("trading", "messaging")}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_rollout_applies_every_rendered_object_exactly_once(overlay):
    selectors = [s for s in (selector_of(c) for c in plan(overlay)) if s]
    for obj in rendered(overlay).objects:
        labels = obj["metadata"].get("labels", {})
        hits = [s for s in selectors if matches(s, labels)]
        assert len(hits) == 1, f"{obj['kind']}/{obj['metadata']['name']} is applied by {hits}"


def test_rollout_refuses_an_unknown_overlay():
    result = bash(str(DEPLOY / "rollout.sh"), "staging", DRY_RUN="1")
    assert result.returncode != 0 and "no overlay 'staging'" in result.stderr


def render_one_off_job(*args: str) -> dict:
    import yaml

    result = bash(str(DEPLOY / "migrate.sh"), "prod", "trading", *args, RENDER="1")
    assert result.returncode == 0, result.stderr
    (job,) = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert job["kind"] == "Job" and re.fullmatch(r"trading-migrate-\d{14}", job["metadata"]["name"])
    assert not list(DEPLOY.glob("k8s/.migrate.*")), "the throw-away kustomization is removed"
    return job


def test_migrate_renders_a_one_off_job_that_can_go_down_to_a_revision():
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    job = render_one_off_job("--to", "0001")
    # Only migrating: the image's models are those of its head, not of the revision asked for.
    assert "initContainers" not in job["spec"]["template"]["spec"]
    assert "podFailurePolicy" not in job["spec"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["name"] == "migrate"
    assert container["command"] + container["args"] == ["python", "-m", "trading", "migrate", "--to", "0001"]
    rollout_job = rendered("prod").get("Job", "trading-migrate")["spec"]
    assert container["image"] == rollout_job["template"]["spec"]["containers"][0]["image"]
    kubernetes_validate.validate(job, KUBERNETES_VERSION, strict=True)


def test_migrate_to_head_renders_the_rollout_s_job_migrating_then_verifying_the_schema():
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    job = render_one_off_job()
    rollout_job = rendered("prod").get("Job", "trading-migrate")
    assert job["spec"] == rollout_job["spec"]
    kubernetes_validate.validate(job, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["prod", "gateway"], "no migrate Job for 'gateway'"),
        (["prod", "catalog", "--to", "x;rm"], "unexpected argument"),
    ],
)
def test_migrate_refuses_what_it_cannot_run(args, message):
    result = bash(str(DEPLOY / "migrate.sh"), *args, RENDER="1")
    assert result.returncode != 0 and message in result.stderr


def test_scripts_say_to_install_kubectl_when_it_is_missing(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("dirname", "sed", "ls", "tr", "mktemp", "rm", "cat", "date", "basename"):
        if found := shutil.which(tool):
            (bin_dir / tool).symlink_to(found)
    result = subprocess.run(
        [shutil.which("bash"), str(DEPLOY / "rollout.sh"), "dev"],
        capture_output=True,
        text=True,
        env={"PATH": str(bin_dir)},
        timeout=30,
    )
    assert result.returncode != 0 and "install kubectl" in result.stderr


def test_make_auth_keys_writes_a_pair_and_rotates_by_merging(tmp_path):
    tool = DEPLOY / "tools" / "make_auth_keys.py"
    subprocess.run([sys.executable, str(tool), str(tmp_path / "old")], check=True, capture_output=True)
    subprocess.run(
        [sys.executable, str(tool), str(tmp_path / "new"), "--merge", str(tmp_path / "old" / "jwks.json")],
        check=True,
        capture_output=True,
    )
    old = json.loads((tmp_path / "old" / "jwks.json").read_text())["keys"]
    new = json.loads((tmp_path / "new" / "jwks.json").read_text())["keys"]
    assert len(new) == 2 and new[1] == old[0] and new[0]["kid"] != old[0]["kid"]
    assert (tmp_path / "new" / "signing-key.pem").stat().st_mode & 0o077 == 0
    auth = pytest.importorskip("servicekit.auth")
    key = auth.SigningKey.from_pem((tmp_path / "new" / "signing-key.pem").read_bytes())
    assert key.public_jwk == new[0]


def make_service_keys(out, *args: str) -> subprocess.CompletedProcess:
    tool = DEPLOY / "tools" / "make_service_keys.py"
    return subprocess.run([sys.executable, str(tool), str(out), *args], capture_output=True, text=True, timeout=60)


def service_keys(out) -> dict:
    return json.loads((out / "service-keys.json").read_text())


def test_make_service_keys_writes_an_identity_per_service_that_servicekit_accepts(tmp_path):
    assert make_service_keys(tmp_path).returncode == 0
    assert set(service_keys(tmp_path)) == set(SERVICES)
    for service in SERVICES:
        assert (tmp_path / f"{service}.pem").stat().st_mode & 0o077 == 0
    identity = pytest.importorskip("servicekit.identity")
    config = pytest.importorskip("servicekit.config")
    assert set(config.CONTEXTS) == set(SERVICES), "the tool names every service servicekit knows"
    for caller in SERVICES:
        token = identity.ServiceIdentity.from_file(caller, tmp_path / f"{caller}.pem").token_for("accounts")
        keys = identity.ServiceKeys.from_file(tmp_path / "service-keys.json", audience="accounts")
        assert keys.verify(token) == caller


def test_make_service_keys_rolls_one_service_by_publishing_its_new_key_beside_the_old(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    assert make_service_keys(old).returncode == 0
    result = make_service_keys(new, "--merge", str(old / "service-keys.json"), "--service", "trading")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in new.iterdir()) == ["service-keys.json", "trading.pem"]
    before, after = service_keys(old), service_keys(new)
    assert len(after["trading"]["keys"]) == 2 and after["trading"]["keys"][1:] == before["trading"]["keys"]
    assert {s: after[s] for s in SERVICES if s != "trading"} == {s: before[s] for s in SERVICES if s != "trading"}
    identity = pytest.importorskip("servicekit.identity")
    keys = identity.ServiceKeys.from_file(new / "service-keys.json", audience="catalog")
    for pem in (old / "trading.pem", new / "trading.pem"):
        assert keys.verify(identity.ServiceIdentity.from_file("trading", pem).token_for("catalog")) == "trading"


def test_make_service_keys_rolls_every_service_with_merge(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    assert make_service_keys(old).returncode == 0
    assert make_service_keys(new, "--merge", str(old / "service-keys.json")).returncode == 0
    before, after = service_keys(old), service_keys(new)
    for service in SERVICES:
        (previous,) = before[service]["keys"]
        assert [k["kid"] for k in after[service]["keys"]][1:] == [previous["kid"]], service


def test_make_service_keys_does_not_roll_one_service_without_the_published_keys(tmp_path):
    result = make_service_keys(tmp_path / "out", "--service", "trading")
    assert result.returncode != 0 and "--merge" in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_readme_gives_the_rollout_order_the_script_follows():
    readme = (DEPLOY / "README.md").read_text()
    order = [n for n in dict.fromkeys(applied_names("prod")) if n != "shared"]
    assert " → ".join(order) in readme
    for topic in (
        "expand/contract",
        "Rolling a migration back",
        "Scaling out",
        "PostgreSQL",
        "Elasticsearch",
        "headless",
        "Service identities",
        "make_service_keys.py",
    ):
        assert topic in readme, topic
