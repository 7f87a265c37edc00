"""`python -m devstack bench`: measurements of the running system, each in a private stack."""

import os
import subprocess

from devstack.postgres import find_server
from devstack.services import python


def service_bench(context: str, options: list[str]) -> int:
    """Runs a service's own `python -m <context> bench` against the server devstack finds (or starts)."""
    environment = {**os.environ, "DATABASE_URL": find_server()}
    try:
        return subprocess.run(python(context, "bench", *options), env=environment, check=False).returncode
    except KeyboardInterrupt:
        return 130
