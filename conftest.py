"""Settings of the services for the whole test run (fixtures shared by every test are in libs/testkit)."""

import pytest


@pytest.fixture(scope="session")
def stack_settings() -> dict[str, dict]:
    # Every test registers its users from 127.0.0.1: registration throttling would stop the run.
    # The throttling tests start a replica with the production limit.
    return {"accounts": {"registrations_per_client": 1_000_000}}
