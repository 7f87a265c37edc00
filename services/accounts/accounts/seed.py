"""Accounts of a fresh install (`python -m accounts seed`): safe to run again.

The admin: ADMIN_EMAIL (default admin@example.com) signs in with ADMIN_PASSWORD.
Without ADMIN_PASSWORD a strong one is generated, set and printed as
`admin password: <password>`, so the operator always leaves with a working one.
In development there are also the two demo users of servicekit.demo, buyer@example.com
("demo-buyer") and seller@example.com ("demo-seller"), both with the password DEMO_PASSWORD;
the buyer's wallet holds DEMO_FUNDS (deposited once, whatever the number of seeds).
"""

import contextlib
import secrets

from accounts.config import AccountsSettings
from accounts.domain.users import NewUser
from accounts.repository.ledger import Ledger
from accounts.repository.users import find_user_by_email
from accounts.service import ledger, users
from servicekit.auth import Caller
from servicekit.demo import DEMO_BUYER, DEMO_PASSWORD, DEMO_USERS
from servicekit.errors import AlreadyExists, InvalidArgument
from servicekit.money import Money
from servicekit.runtime import Runtime

DEMO_FUNDS = Money("USD", 100_000)  # 1,000.00


def generate_password() -> str:
    return secrets.token_urlsafe(18)  # 144 random bits


async def seed(runtime: Runtime) -> None:
    settings: AccountsSettings = runtime.settings
    password = settings.admin_password or generate_password()
    try:
        await users.ensure_admin(runtime.db, settings.admin_email, password)
    except InvalidArgument as exc:
        raise SystemExit(f"cannot set up the admin account (ADMIN_EMAIL, ADMIN_PASSWORD): {exc.message}") from None
    if not settings.admin_password:
        print(f"admin password: {password}", flush=True)
    if settings.development:
        await _seed_demo_users(runtime)


async def _seed_demo_users(runtime: Runtime) -> None:
    for user in DEMO_USERS:
        new = NewUser(email=user.email, username=user.username, password=DEMO_PASSWORD, phone=None, role=user.role)
        # Seeded before: a demo user keeps whatever was changed since.
        with contextlib.suppress(AlreadyExists):
            await users.create_user(runtime.db, new)
    async with runtime.db.read() as session:
        buyer = await find_user_by_email(session, DEMO_BUYER.email)
    if buyer is None:
        return
    demo_ledger = Ledger(runtime.db)
    # A buyer with a wallet was funded by a seed before: the top-up happens once.
    caller = Caller(buyer.id, buyer.role, token_id="seed")
    if not await ledger.get_wallets(demo_ledger, caller):
        await ledger.deposit(demo_ledger, caller, DEMO_FUNDS, None, development=True)
    print(f"demo users: {', '.join(user.email for user in DEMO_USERS)}, password {DEMO_PASSWORD}", flush=True)
