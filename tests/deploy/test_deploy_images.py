"""The Dockerfiles under deploy/images and the .dockerignore of the build context (the repo root).

There is no Docker engine in the test environment: the files are parsed and held to the
deploy issue's rules, and to what the manifests expect of the images.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import PurePosixPath

import pytest
from deploy_support import DEPLOY, GATEWAY, GATEWAY_PORT, PROCESSES, ROOT, SERVICES, main_container, pod_spec, rendered

IMAGES = DEPLOY / "images"
PINNED_SLIM_PYTHON = re.compile(r"python:3\.11\.\d+-slim(-[a-z]+)?$")


@dataclass
class Instruction:
    keyword: str
    args: str
    stage: int


def parse(name: str) -> list[Instruction]:
    """Instructions of deploy/images/<name>.Dockerfile, continuations joined, comments dropped."""
    text = (IMAGES / f"{name}.Dockerfile").read_text()
    logical, current = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        logical.append(current + stripped)
        current = ""
    instructions, stage = [], -1
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        instructions.append(Instruction(keyword, args.strip(), stage))
    return instructions


def build_args(instructions: list[Instruction]) -> dict[str, str]:
    return dict(i.args.split("=", 1) for i in instructions if i.keyword == "ARG" and i.stage == -1 and "=" in i.args)


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    last = max(i.stage for i in instructions)
    return [i for i in instructions if i.stage == last]


def env(instructions: list[Instruction]) -> dict[str, str]:
    values = {}
    for instruction in instructions:
        if instruction.keyword == "ENV":
            for token in shlex.split(instruction.args):
                key, _, value = token.partition("=")
                values[key] = value
    return values


def copies(instructions: list[Instruction]) -> list[tuple[list[str], str, str | None]]:
    """(sources, destination, --from stage or None) of every COPY."""
    result = []
    for instruction in instructions:
        if instruction.keyword != "COPY":
            continue
        tokens = shlex.split(instruction.args)
        flags = {t.split("=", 1)[0]: t.split("=", 1)[-1] for t in tokens if t.startswith("--")}
        paths = [t for t in tokens if not t.startswith("--")]
        result.append((paths[:-1], paths[-1], flags.get("--from")))
    return result


def context_paths(name: str) -> list[str]:
    """Everything a Dockerfile takes from the build context."""
    return [src for sources, _, stage in copies(parse(name)) if stage is None for src in sources]


@pytest.mark.parametrize("name", PROCESSES)
def test_each_image_is_multi_stage_on_a_pinned_slim_python_3_11(name):
    instructions = parse(name)
    bases = [i.args.split()[0] for i in instructions if i.keyword == "FROM"]
    assert len(bases) >= 3, "contracts, build and runtime stages"
    arguments = build_args(instructions)
    for base in bases:
        image = arguments.get(base.strip("${}"), base)
        assert PINNED_SLIM_PYTHON.match(image), f"{name}: base {image} is not python:3.11.<patch>-slim"


@pytest.mark.parametrize("name", PROCESSES)
def test_each_image_runs_as_a_non_root_user(name):
    users = [i.args for i in final_stage(parse(name)) if i.keyword == "USER"]
    assert users, f"{name}: the runtime stage sets no USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) > 0, "a numeric uid lets runAsNonRoot verify it"
    assert not gid or (gid.isdigit() and int(gid) > 0)
    pod = pod_spec(rendered("prod").get("Deployment", name))["securityContext"]
    assert (int(uid), int(gid or uid)) == (pod["runAsUser"], pod["runAsGroup"])


@pytest.mark.parametrize("name", PROCESSES)
def test_each_image_serves_with_python_m_name_serve(name):
    (cmd,) = [i.args for i in final_stage(parse(name)) if i.keyword == "CMD"]
    assert json.loads(cmd) == ["python", "-m", name, "serve"]
    assert not [i for i in final_stage(parse(name)) if i.keyword == "ENTRYPOINT"]


@pytest.mark.parametrize("name", PROCESSES)
def test_each_image_generates_the_contracts_in_a_builder_stage(name):
    instructions = parse(name)
    runs = [i for i in instructions if i.keyword == "RUN"]
    generate = [i for i in runs if "-m devstack proto" in i.args]
    assert len(generate) == 1 and generate[0].stage < max(i.stage for i in instructions)
    # devstack finds the repository from its source path: it must run from the copied sources.
    assert "PYTHONPATH=/src/libs/devstack" in generate[0].args
    sources = context_paths(name)
    for needed in ("protos/", "libs/devstack/", "libs/contracts/"):
        assert needed in sources, f"{name} does not copy {needed}"
    assert not any(i.keyword == "COPY" and "libs/contracts/marketplace" in i.args for i in instructions)


@pytest.mark.parametrize("name", PROCESSES)
def test_each_image_installs_only_its_own_service(name):
    text = (IMAGES / f"{name}.Dockerfile").read_text()
    own = "gateway/" if name == GATEWAY else f"services/{name}/"
    assert any(p.startswith(own) for p in context_paths(name)), f"{name} does not copy {own}"
    for other in SERVICES:
        if other != name:
            assert not re.search(rf"services/{other}\b", text), f"{name}.Dockerfile mentions services/{other}"
            assert not re.search(rf"-m {other}\b", text)
    if name != GATEWAY:
        assert not re.search(r"(^|[\s/])gateway/", text), f"{name}.Dockerfile copies the gateway"
    for path in context_paths(name):
        assert path.startswith(
            (
                "protos/",
                "requirements/codegen.txt",
                "libs/devstack/",
                "libs/contracts/",
                "libs/servicekit/",
                own,
                "deploy/images/",
            )
        ), path
        assert "testkit" not in path and not path.startswith(("tests", ".")), path
    installs = [i.args for i in parse(name) if i.keyword == "RUN" and "pip install" in i.args and i.stage == 1]
    assert len(installs) == 1 and f"/src/{own.rstrip('/')}" in installs[0]
    assert " -e " not in installs[0] and "--editable" not in installs[0]


@pytest.mark.parametrize("name", PROCESSES)
def test_the_runtime_stage_takes_only_the_built_environment(name):
    runtime = final_stage(parse(name))
    assert not [i for i in runtime if i.keyword == "RUN" and "pip" in i.args], "no installing in the runtime stage"
    from_build = [(sources, dest) for sources, dest, stage in copies(runtime) if stage is not None]
    assert from_build == [(["/opt/venv/"], "/opt/venv/")]
    assert env(runtime)["PATH"].startswith("/opt/venv/bin:")
    assert env(runtime)["PYTHONDONTWRITEBYTECODE"] == "1", "the root filesystem is read-only"


@pytest.mark.parametrize("service", SERVICES)
def test_service_images_carry_their_alembic_history_where_alembic_config_points(service):
    runtime = final_stage(parse(service))
    config = PurePosixPath(env(runtime)["ALEMBIC_CONFIG"])
    (workdir,) = [i.args for i in runtime if i.keyword == "WORKDIR"]
    assert str(config.parent) == workdir, "relative script_location resolves against the working directory"
    destinations = {}
    for sources, dest, stage in copies(runtime):
        if stage is None:
            for source in sources:
                target = PurePosixPath(workdir) / dest if not dest.startswith("/") else PurePosixPath(dest)
                destinations[source.rstrip("/")] = str(target).rstrip("/")
    assert destinations[f"services/{service}/alembic.ini"] == str(config)
    assert destinations[f"services/{service}/migrations"] == str(config.parent / "migrations")


@pytest.mark.parametrize("service", SERVICES)
def test_service_images_match_what_their_pods_expect(service):
    runtime = final_stage(parse(service))
    deployment = rendered("prod").get("Deployment", service)
    port = SERVICES[service]
    assert [i.args for i in runtime if i.keyword == "EXPOSE"] == [str(port)]
    assert env(runtime)["GRPC_PORT"] == str(port)
    # servicekit listens on loopback by default: `docker run -p` would reach nothing.
    assert env(runtime)["GRPC_HOST"] == "0.0.0.0"
    (gate,) = pod_spec(deployment)["initContainers"]
    destinations = [dest for sources, dest, stage in copies(runtime) if "deploy/images/schema_gate.py" in sources]
    assert destinations == [gate["command"][1]]


def test_the_gateway_image_matches_its_pods():
    runtime = final_stage(parse(GATEWAY))
    assert [i.args for i in runtime if i.keyword == "EXPOSE"] == [str(GATEWAY_PORT)]
    container = main_container(rendered("prod").get("Deployment", GATEWAY))
    assert container["ports"][0]["containerPort"] == GATEWAY_PORT
    assert "ALEMBIC_CONFIG" not in env(runtime)


# --- .dockerignore ----------------------------------------------------------------------------


def dockerignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    """(is_exception, regex) per line, in Docker's order (the last matching rule wins)."""
    path = ROOT / ".dockerignore"
    assert path.is_file(), "the build context is the repository root, so .dockerignore belongs there"
    rules = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = ""
        i = 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex, i = regex + "(?:.*/)?", i + 3
            elif pattern.startswith("**", i):
                regex, i = regex + ".*", i + 2
            elif pattern[i] == "*":
                regex, i = regex + "[^/]*", i + 1
            elif pattern[i] == "?":
                regex, i = regex + "[^/]", i + 1
            elif pattern[i] == "[":
                end = pattern.index("]", i)
                regex, i = regex + pattern[i : end + 1], end + 1
            else:
                regex, i = regex + re.escape(pattern[i]), i + 1
        rules.append((exception, re.compile(regex + "$")))
    return rules


def ignored(path: str) -> bool:
    """Whether Docker leaves path (or a directory above it) out of the build context."""
    parts = path.strip("/").split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    result = False
    for candidate in candidates:
        for exception, regex in dockerignore_rules():
            if regex.match(candidate):
                result = not exception
        if result:
            return True
    return result


def test_dockerignore_keeps_out_environments_local_state_and_generated_code():
    for path in (
        ".git/config",
        ".venv/bin/python",
        "services/catalog/.venv/x",
        ".run/postgres/PG_VERSION",
        ".build/googleapis/google/api/http.proto",
        "libs/contracts/marketplace/catalog/v1/catalog_pb2.py",
        "services/trading/trading/__pycache__/api.cpython-311.pyc",
        "tests/e2e/test_x.py",
        "services/accounts/tests/test_x.py",
        "libs/testkit/pyproject.toml",
        "deploy/k8s/overlays/dev/secrets/signing-key.pem",
        ".env",
        "gateway/.env.local",
    ):
        assert ignored(path), f"{path} would be sent to the Docker daemon"


@pytest.mark.parametrize("name", PROCESSES)
def test_dockerignore_keeps_everything_the_dockerfiles_copy(name):
    examples = {
        "protos/": "protos/marketplace/catalog/v1/catalog.proto",
        "libs/devstack/": "libs/devstack/devstack/protos.py",
        "libs/contracts/": "libs/contracts/pyproject.toml",
        "libs/servicekit/": "libs/servicekit/servicekit/server.py",
        "gateway/": "gateway/gateway/app.py",
    }
    for source in context_paths(name):
        sample = examples.get(source, source)
        if sample.startswith("services/") and sample.endswith("/"):
            sample += "pyproject.toml"
        if sample.endswith("migrations/"):
            sample += "env.py"
        assert not ignored(sample), f"{name}.Dockerfile copies {source} but .dockerignore drops {sample}"
