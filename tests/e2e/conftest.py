"""Fixtures of the end-to-end tests: catalog categories that listings need, made through the gateway."""

import pytest

from servicekit.auth import Role
from testkit.api import bearer, new_category
from testkit.tokens import mint

SIZE = {"name": "Size", "key": "size", "type": "ATTRIBUTE_TYPE_INTEGER", "required": True, "min": 30, "max": 50}
COLOUR = {"name": "Colour", "key": "colour", "type": "ATTRIBUTE_TYPE_ENUM", "allowed_values": ["black", "white"]}


@pytest.fixture(scope="session")
def admin_headers(signing_key) -> dict[str, str]:
    return bearer(mint(signing_key, role=Role.ADMIN))


@pytest.fixture(scope="session")
async def things(api, admin_headers) -> dict:
    """A category without attributes."""
    return await new_category(api, admin_headers)


@pytest.fixture(scope="session")
async def shoes(api, admin_headers) -> dict:
    """A category with a required integer size from 30 to 50 and an optional colour, black or white."""
    return await new_category(api, admin_headers, SIZE, COLOUR)
