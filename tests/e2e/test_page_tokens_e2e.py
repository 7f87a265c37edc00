"""A page token belongs to the list that returned it: anywhere else it is a 400 naming page_token."""

import pytest

from servicekit.pagination import encode_token
from testkit.api import signed_up, violations

# A games-list token: (name, id). Every other list sorts by (time, id).
FOREIGN_TOKEN = encode_token(("Dota 2", "not-a-time"))


@pytest.mark.parametrize(
    "path",
    [
        "/v1/conversations",
        "/v1/wallets/me/entries",
        "/v1/verifications",
        "/v1/users/me/items",
        "/v1/buy-orders",
        "/v1/saved-searches",
    ],
)
async def test_a_token_of_another_list_is_400_not_500(api, path):
    person = await signed_up(api)
    response = await api.get(path, params={"page_token": FOREIGN_TOKEN}, headers=person.headers)
    assert response.status_code == 400, response.text
    assert "page_token" in violations(response)
