"""The public key set over HTTP is a JWKS that a standard client reads."""

import jwt

from testkit.api import signed_up


async def test_the_signing_keys_are_a_jwks_that_verifies_an_access_token(api):
    response = await api.get("/v1/signing-keys")
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert keys and all(set(key) == {"kid", "kty", "alg", "use", "crv", "x"} for key in keys)
    person = await signed_up(api)
    token = person.headers["Authorization"].removeprefix("Bearer ")
    key = jwt.PyJWKSet.from_dict({"keys": keys})[jwt.get_unverified_header(token)["kid"]]
    claims = jwt.decode(token, key.key, algorithms=["EdDSA"], audience="marketplace")
    assert claims["sub"] == person.id
