"""Accounts of a fresh install (`python -m accounts seed`): safe to run again.

The admin: ADMIN_EMAIL (default admin@example.com) signs in with ADMIN_PASSWORD.
Without ADMIN_PASSWORD a strong one is generated, set and printed as
`admin password: <password>`, so the operator always leaves with a working one.
In development there are also two demo users, buyer@example.com ("demo-buyer")
and seller@example.com ("demo-seller"), both with the password DEMO_PASSWORD; the
buyer's wallet holds DEMO_FUNDS (deposited once, whatever the number of seeds).
"""

import contextlib
import secrets

from accounts import domain, repository, service, wallets
from accounts.ledger import Ledger
from servicekit.auth import Caller, Role
from servicekit.config import env
from servicekit.errors import AlreadyExists, InvalidArgument
from servicekit.money import Money
from servicekit.runtime import Runtime

DEFAULT_ADMIN_EMAIL = "admin@example.com"
DEMO_PASSWORD = "marketplace-demo"
DEMO_FUNDS = Money("USD", 100_000)  # 1,000.00
DEMO_USERS = [
    ("buyer@example.com", "demo-buyer", Role.BUYER),
    ("seller@example.com", "demo-seller", Role.SELLER),
]


def generate_password() -> str:
    return secrets.token_urlsafe(18)  # 144 random bits


async def seed(runtime: Runtime) -> None:
    given = env("ADMIN_PASSWORD", "")
    password = given or generate_password()
    try:
        await service.ensure_admin(runtime.db, env("ADMIN_EMAIL", DEFAULT_ADMIN_EMAIL), password)
    except InvalidArgument as exc:
        raise SystemExit(f"cannot set up the admin account (ADMIN_EMAIL, ADMIN_PASSWORD): {exc.message}") from None
    if not given:
        print(f"admin password: {password}", flush=True)
    if runtime.settings.development:
        await _seed_demo_users(runtime)


async def _seed_demo_users(runtime: Runtime) -> None:
    for email, username, role in DEMO_USERS:
        new = domain.NewUser(email=email, username=username, password=DEMO_PASSWORD, phone=None, role=role)
        # Seeded before: a demo user keeps whatever was changed since.
        with contextlib.suppress(AlreadyExists):
            await service.create_user(runtime.db, new)
    async with runtime.db.read() as session:
        buyer = await repository.find_user_by_email(session, DEMO_USERS[0][0])
    if buyer is not None:
        # The request id makes the top-up happen once, however often the seed runs.
        caller = Caller(buyer.id, buyer.role, token_id="seed")
        await wallets.deposit(Ledger(runtime.db), caller, DEMO_FUNDS, "demo-funding", development=True)
