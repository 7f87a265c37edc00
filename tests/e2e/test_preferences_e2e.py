"""A user's preferences through the gateway: read with GET /v1/users/me, changed with PATCH, checked."""

from testkit.api import signed_up, violations

DEFAULTS = {
    "currency": "",
    "language": "en",
    "search_radius_km": 50,
    "notifications": {"messages": True, "offers": True, "transactions": True, "matches": True, "marketing": False},
}


def preferences(response) -> dict:
    found = response.json()["profile"]["preferences"]
    # Canonical JSON leaves out what is false or empty.
    notifications = {kind: found.get("notifications", {}).get(kind, False) for kind in DEFAULTS["notifications"]}
    return {
        "currency": found.get("currency", ""),
        "language": found.get("language", ""),
        "search_radius_km": found.get("search_radius_km", 0),
        "notifications": notifications,
    }


async def test_a_new_user_has_the_default_preferences(api):
    me = await signed_up(api)
    assert preferences(await api.get("/v1/users/me", headers=me.headers)) == DEFAULTS


async def test_a_user_changes_some_preferences_and_keeps_the_rest(api):
    me = await signed_up(api)
    body = {"preferences": {"currency": "EUR", "search_radius_km": 30, "notifications": {"marketing": True}}}
    changed = await api.patch(
        "/v1/users/me",
        json=body,
        params={"update_mask": "preferences.currency,preferences.searchRadiusKm,preferences.notifications.marketing"},
        headers=me.headers,
    )
    assert changed.status_code == 200, changed.text
    expected = DEFAULTS | {"currency": "EUR", "search_radius_km": 30}
    expected["notifications"] = DEFAULTS["notifications"] | {"marketing": True}
    assert preferences(changed) == expected
    assert preferences(await api.get("/v1/users/me", headers=me.headers)) == expected


async def test_a_patch_without_a_mask_changes_what_its_body_sends(api):
    me = await signed_up(api)
    changed = await api.patch("/v1/users/me", json={"preferences": {"language": "de-DE"}}, headers=me.headers)
    assert changed.status_code == 200, changed.text
    assert preferences(changed) == DEFAULTS | {"language": "de-DE"}


async def test_bad_preferences_are_a_400_naming_each(api):
    me = await signed_up(api)
    body = {"preferences": {"currency": "euro", "language": "not a language", "search_radius_km": 5000}}
    response = await api.patch("/v1/users/me", json=body, headers=me.headers)
    assert response.status_code == 400, response.text
    assert violations(response) == {
        "profile.preferences.currency",
        "profile.preferences.language",
        "profile.preferences.search_radius_km",
    }
    assert preferences(await api.get("/v1/users/me", headers=me.headers)) == DEFAULTS


async def test_an_unknown_preference_in_the_mask_is_a_400(api):
    me = await signed_up(api)
    response = await api.patch("/v1/users/me", json={}, params={"update_mask": "preferences.theme"}, headers=me.headers)
    assert response.status_code == 400, response.text
    assert violations(response) == {"update_mask"}


async def test_preferences_are_not_public(api):
    me, other = await signed_up(api), await signed_up(api)
    public = (await api.get(f"/v1/users/{me.id}", headers=other.headers)).json()
    assert "preferences" not in public
