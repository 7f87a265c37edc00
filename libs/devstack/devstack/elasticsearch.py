"""A real single-node Elasticsearch for the tests and the local stack.

Elastic publishes the server's integration-test distribution (a zip without a bundled JDK) to Maven
Central. Maven fetches it (`mvn dependency:get`, so a developer's mirror settings apply) once into a
cache outside the clone, where its sha512 is checked and it is unpacked. Each node runs from there
with its own config, data and logs in a temporary folder: one node, security off, loopback only, a
free HTTP port, a 1 GB heap, on the newest Java 21+ of the machine. Elasticsearch refuses root, so as
root the node runs as the system user marketplace-es, created when missing.

    ELASTICSEARCH_CACHE_DIR   where the distribution is kept (default ~/.cache/marketplace; as root
                              /var/cache/marketplace, which marketplace-es can read)
    ES_JAVA_HOME              the Java to run it on (default: the newest 21+ under /usr/lib/jvm)
"""

import contextlib
import fcntl
import hashlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from devstack.ports import free_port

VERSION = "9.5.4"
ARTIFACT = f"org.elasticsearch.distribution.integ-test-zip:elasticsearch:{VERSION}:zip"
# Maven Central publishes no checksum beside the 9.x zips of this artifact: this is the sha512 of the
# zip as fetched when it was pinned (the same through Maven and a plain download).
SHA512 = (
    "a75df614854ace52dd0bce977662b3792873ac077ec0af9026cd0b2a0eb119e4"
    "49910f8eb8ed577d1a83c51c6ee6af71bf5004c3cf5b418c979186de8b5dd9e6"
)
MIN_JAVA = 21
NODE_USER = "marketplace-es"
HEAP = "1g"
START_TIMEOUT = 180.0
STOP_TIMEOUT = 30.0
LOG_LINES = 40


class ElasticsearchError(RuntimeError):
    """The node cannot be had: nothing to run it with, a bad download, or it did not come up."""


@dataclass(frozen=True)
class Node:
    url: str
    process: subprocess.Popen
    # Its config, data and logs.
    folder: Path


def cache_dir() -> Path:
    configured = os.environ.get("ELASTICSEARCH_CACHE_DIR")
    if configured:
        return Path(configured)
    if os.geteuid() == 0:
        # Root's home is closed to the node's user.
        return Path("/var/cache/marketplace")
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "marketplace"


def sha512_of(path: Path) -> str:
    digest = hashlib.sha512()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def unpack(archive: Path, target: Path, sha512: str) -> None:
    """Checks archive against sha512 and unpacks its one top folder as target, all at once or not at all."""
    found = sha512_of(archive)
    if found != sha512:
        archive.unlink()
        raise ElasticsearchError(f"{archive.name} has sha512 {found}, not the pinned {sha512}: deleted it")
    partial = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        with zipfile.ZipFile(archive) as zipped:
            for member in zipped.infolist():
                path = Path(zipped.extract(member, partial))
                # zipfile drops the modes; bin/ needs its executable bits.
                mode = (member.external_attr >> 16) & 0o777
                path.chmod(0o755 if member.is_dir() else (mode or 0o644) | 0o444)
        (top,) = partial.iterdir()
        shutil.rmtree(target, ignore_errors=True)  # a broken copy from before
        top.rename(target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def _maven() -> str:
    found = shutil.which("mvn")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "maven"], check=True, env=env)
        found = shutil.which("mvn")
    if not found:
        raise ElasticsearchError("Maven (mvn) is needed to fetch Elasticsearch: install it (Debian: maven)")
    return found


def _download(cache: Path) -> Path:
    """The zip, fetched by Maven into a local repository kept in the cache."""
    repository = cache / "maven"
    command = [
        _maven(),
        "--batch-mode",
        "--quiet",
        f"-Dmaven.repo.local={repository}",
        "dependency:get",
        f"-Dartifact={ARTIFACT}",
        "-Dtransitive=false",
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().splitlines()[-LOG_LINES:]
        raise ElasticsearchError(f"mvn could not fetch {ARTIFACT}:\n" + "\n".join(output))
    group, artifact, version, extension = ARTIFACT.split(":")
    return repository.joinpath(*group.split("."), artifact, version, f"{artifact}-{version}.{extension}")


def distribution() -> Path:
    """Elasticsearch's home in the cache, fetched, checked and unpacked on first use."""
    cache = cache_dir()
    home = cache / f"elasticsearch-{VERSION}"
    if (home / "bin" / "elasticsearch").exists():
        return home
    cache.mkdir(parents=True, exist_ok=True)
    # Two runs at once (two worktrees, say) fetch it once.
    with (cache / f".elasticsearch-{VERSION}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (home / "bin" / "elasticsearch").exists():
            archive = _download(cache)
            unpack(archive, home, SHA512)
            # The unpacked tree is what is kept.
            archive.unlink()
    return home


def java_version(java_home: Path) -> int | None:
    """The feature version of the JDK at java_home, from its `release` file."""
    with contextlib.suppress(OSError):
        found = re.search(r'^JAVA_VERSION="(\d+)', (java_home / "release").read_text(), re.MULTILINE)
        if found and (java_home / "bin" / "java").exists():
            return int(found.group(1))
    return None


def java_home() -> Path:
    """ES_JAVA_HOME when set; else the newest JDK of MIN_JAVA or later at JAVA_HOME or under /usr/lib/jvm."""
    configured = os.environ.get("ES_JAVA_HOME")
    if configured:
        version = java_version(Path(configured))
        if version is None or version < MIN_JAVA:
            raise ElasticsearchError(f"ES_JAVA_HOME={configured} is not a Java {MIN_JAVA}+ JDK")
        return Path(configured)
    candidates = [Path(os.environ["JAVA_HOME"])] if os.environ.get("JAVA_HOME") else []
    candidates += sorted(Path("/usr/lib/jvm").glob("*"))
    versions = {candidate.resolve(): java_version(candidate) for candidate in candidates}
    usable = [(version, home) for home, version in versions.items() if version and version >= MIN_JAVA]
    if not usable:
        raise ElasticsearchError(
            f"Elasticsearch {VERSION} needs Java {MIN_JAVA}+: none under /usr/lib/jvm; set ES_JAVA_HOME to one"
        )
    return max(usable)[1]


def _node_user() -> pwd.struct_passwd | None:
    """Who the node runs as: ourselves, or as root the system user NODE_USER (created when missing)."""
    if os.geteuid() != 0:
        return None
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(NODE_USER)
    account = [
        "--system",
        "--user-group",
        "--no-create-home",
        "--home-dir",
        "/nonexistent",
        "--shell",
        "/usr/sbin/nologin",
    ]
    subprocess.run(["useradd", *account, NODE_USER], check=True)
    return pwd.getpwnam(NODE_USER)


def _as_node_user(user: pwd.struct_passwd | None) -> list[str]:
    """The prefix that runs a command as user and has the kernel stop it should we die without stopping it
    (setpriv, not a preexec_fn: no Python runs between fork and exec in a process with threads)."""
    switch = ["--reuid", str(user.pw_uid), "--regid", str(user.pw_gid), "--clear-groups"] if user else []
    return ["setpriv", "--pdeathsig", "TERM", *switch, "--"]


def _settings(folder: Path, port: int) -> str:
    return "\n".join(
        [
            "cluster.name: marketplace",
            "node.name: node-1",
            "discovery.type: single-node",
            "network.host: 127.0.0.1",
            f"http.port: {port}",
            f"path.data: {folder / 'data'}",
            f"path.logs: {folder / 'logs'}",
            "xpack.security.enabled: false",
            # A nearly full disk would turn the indexes read-only in the middle of a run.
            "cluster.routing.allocation.disk.threshold_enabled: false",
            "",
        ]
    )


def _prepare(home: Path, folder: Path, port: int, user: pwd.struct_passwd | None) -> None:
    """The node's own config (a copy of the distribution's with our settings), data, logs and tmp in folder."""
    shutil.copytree(home / "config", folder / "config")
    (folder / "config" / "elasticsearch.yml").write_text(_settings(folder, port))
    for name in ("data", "logs", "tmp"):
        (folder / name).mkdir()
    if user is None:
        return
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, user.pw_uid, user.pw_gid)
    readable = subprocess.run([*_as_node_user(user), "test", "-x", str(home / "bin" / "elasticsearch")])
    if readable.returncode != 0:
        raise ElasticsearchError(f"{NODE_USER} cannot run {home}: set ELASTICSEARCH_CACHE_DIR to a folder it reaches")


def _environment(folder: Path, java: Path, quick_start: bool) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ES_", "JAVA_", "CLI_JAVA"))}
    java_options = [f"-Xms{HEAP}", f"-Xmx{HEAP}"]
    if quick_start:
        # The quick compiler only: about half the CPU time to start, slower queries on large data.
        java_options.append("-XX:TieredStopAtLevel=1")
    return env | {
        "ES_JAVA_HOME": str(java),
        "ES_PATH_CONF": str(folder / "config"),
        "ES_TMPDIR": str(folder / "tmp"),
        "ES_JAVA_OPTS": " ".join(java_options),
        "HOME": str(folder),
    }


def last_lines(path: Path, count: int = LOG_LINES) -> str:
    """The last lines of a node's console output, without Java's stack frames, which would crowd out the cause."""
    with contextlib.suppress(OSError):
        lines = path.read_text(errors="replace").splitlines()
        said = [line for line in lines if not re.match(r"\s+(at |\.\.\. \d+ more)", line)]
        return "\n".join(said[-count:])
    return ""


def _healthy(url: str) -> bool:
    try:
        response = httpx.get(f"{url}/_cluster/health", params={"wait_for_status": "yellow", "timeout": "1s"}, timeout=5)
    except httpx.HTTPError:
        return False
    with contextlib.suppress(ValueError):
        return response.status_code == 200 and response.json().get("status") in ("yellow", "green")
    return False


def _wait_until_healthy(process: subprocess.Popen, url: str, console: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not _healthy(url):
        if process.poll() is not None:
            raise ElasticsearchError(f"Elasticsearch exited with code {process.returncode}:\n{last_lines(console)}")
        if time.monotonic() > deadline:
            raise ElasticsearchError(f"Elasticsearch was not healthy within {timeout:.0f} s:\n{last_lines(console)}")
        time.sleep(0.25)


def _stop(process: subprocess.Popen, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM to the node's process group (the launcher and the server), SIGKILL after timeout."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        print(f"Elasticsearch did not stop within {timeout:.0f} s: killing it", file=sys.stderr)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@contextlib.contextmanager
def elasticsearch_node(
    port: int | None = None, timeout: float = START_TIMEOUT, *, quick_start: bool = False
) -> Iterator[Node]:
    """A healthy single node on port (default a free one) for the length of the block, stopped and wiped at its
    end. quick_start trades query speed for start-up time: for tests, whose indexes are small."""
    home = distribution()
    java = java_home()
    user = _node_user()
    folder = Path(tempfile.mkdtemp(prefix="marketplace-es-"))
    process = None
    try:
        port = port or free_port()
        _prepare(home, folder, port, user)
        console = folder / "logs" / "console.log"
        with console.open("wb") as output:
            process = subprocess.Popen(
                [*_as_node_user(user), str(home / "bin" / "elasticsearch")],
                cwd=folder,
                env=_environment(folder, java, quick_start),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(process, url, console, timeout)
        yield Node(url=url, process=process, folder=folder)
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(folder, ignore_errors=True)


def serve(port: int | None, quick_start: bool = False) -> int:
    """`python -m devstack elasticsearch`: a node in the foreground until Ctrl-C or SIGTERM."""
    # SIGINT too: a shell's background job starts with it ignored, and Python then leaves it so.
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, signal.default_int_handler)
    try:
        with elasticsearch_node(port, quick_start=quick_start) as node:
            print(f"Elasticsearch {VERSION} at {node.url}, its files in {node.folder} (Ctrl-C stops it)", flush=True)
            code = node.process.wait()
            print(f"Elasticsearch exited with code {code}:\n{last_lines(node.folder / 'logs' / 'console.log')}")
            return 1
    except KeyboardInterrupt:
        return 0
    except ElasticsearchError as error:
        print(error, file=sys.stderr)
        return 1
