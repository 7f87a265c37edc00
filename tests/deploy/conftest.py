"""Fixtures for the deployment tests (helpers live in deploy_support.py, importable from here on)."""

import sys
from pathlib import Path

import pytest

# Test modules import deploy_support whatever pytest's import mode is.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from deploy_support import OVERLAYS, Render, rendered


@pytest.fixture(params=OVERLAYS)
def overlay(request) -> Render:
    return rendered(request.param)


@pytest.fixture
def dev() -> Render:
    return rendered("dev")


@pytest.fixture
def prod() -> Render:
    return rendered("prod")
