"""`python -m devstack run` as a developer runs it: up, healthy, seeded, and gone after Ctrl-C."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from devstack.paths import ROOT
from devstack.ports import free_port
from devstack.postgres import drop_database
from servicekit.config import CONTEXTS
from testkit.processes import alive, started

START_TIMEOUT = 90


@pytest.fixture
async def stack_env(pg_server, tmp_path):
    # Async, on the run's loop: asyncio.run() here would leave no current loop for the sync fixtures after it.
    prefix = f"test_run_{uuid.uuid4().hex[:8]}_"
    env = {
        **os.environ,
        "DATABASE_URL": pg_server,
        "DEVSTACK_DB_PREFIX": prefix,
        "DEVSTACK_STATE_DIR": str(tmp_path / "state"),
        "GATEWAY_PORT": str(free_port()),
        **{f"{context.upper()}_PORT": str(free_port()) for context in CONTEXTS},
    }
    env.pop("ADMIN_PASSWORD", None)
    yield env
    for context in CONTEXTS:
        await drop_database(pg_server, f"{prefix}{context}")


@pytest.mark.timeout(150)
def test_run_serves_the_seeded_stack_and_ctrl_c_leaves_nothing_behind(stack_env, tmp_path):
    gateway = f"http://127.0.0.1:{stack_env['GATEWAY_PORT']}"
    with started([sys.executable, "-m", "devstack", "run"], tmp_path / "run.log", stack_env) as run:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert run.process.poll() is None, f"devstack run exited with {run.process.returncode}:\n{run.output()}"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{gateway}/healthz", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, f"/healthz never answered 200:\n{run.output()}"
            time.sleep(0.3)

        listed = httpx.get(f"{gateway}/v1/games", params={"page_size": 100}, timeout=10)
        assert listed.status_code == 200
        assert "Counter-Strike 2" in {game["name"] for game in listed.json()["games"]}, "the catalog seed ran"
        # Trading's seed acts through the services: it ran once they served, and prints a listing of its market.
        [path] = re.findall(r"demo market: .* (/v1/listings/[0-9a-f-]{36})", run.output())
        listing = httpx.get(f"{gateway}{path}", timeout=10)
        assert listing.status_code == 200, listing.text
        assert listing.json()["location"] == {"latitude": 52.52, "longitude": 13.405}

        state = Path(stack_env["DEVSTACK_STATE_DIR"])
        assert (state / "admin-password").stat().st_mode & 0o777 == 0o600
        assert (state / "keys" / "signing.pem").stat().st_mode & 0o777 == 0o600
        assert (state / "keys" / "jwks.json").exists()

        descendants = run.descendants()
        assert len(descendants) >= 5, "the four services and the gateway"

        os.killpg(run.process.pid, signal.SIGINT)  # what Ctrl-C does to the foreground process group
        assert run.process.wait(timeout=30) == 0, run.output()
        left = sorted(pid for pid in descendants if alive(pid))
        assert not left, f"still running after Ctrl-C: {left}"
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{gateway}/healthz", timeout=2)


def test_run_refuses_an_unknown_search_backend_before_starting_anything():
    refused = subprocess.run(
        [sys.executable, "-m", "devstack", "run"],
        cwd=ROOT,
        env={**os.environ, "SEARCH": "solr", "GATEWAY_PORT": str(free_port())},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert refused.returncode == 1
    assert "SEARCH='solr' is not one of postgres, elasticsearch" in refused.stderr
    assert "finding PostgreSQL" not in refused.stdout
