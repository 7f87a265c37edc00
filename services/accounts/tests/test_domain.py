"""Rules of accounts that need no database: throttling, client addresses, profiles, postings."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from accounts import domain
from accounts.domain import LedgerAccountKind as Account
from servicekit.errors import InvalidArgument
from servicekit.geo import Point

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("forwarded", "peer", "client"),
    [
        (None, "ipv4:10.1.2.3:52344", "10.1.2.3"),
        (None, "ipv6:[::1]:52344", "::/64"),
        ("203.0.113.7", "ipv4:10.0.0.2:1", "203.0.113.7"),
        ("198.51.100.1, 203.0.113.7", "ipv4:10.0.0.2:1", "203.0.113.7"),  # the proxy's own entry counts
        ("2001:db8:1:2:aaaa::1", "ipv4:10.0.0.2:1", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.4", None, "192.0.2.4"),
        ("garbage", "ipv4:10.0.0.2:1", "10.0.0.2"),
        (None, "unix:/tmp/socket", "unix:/tmp/socket"),
    ],
)
def test_the_client_is_the_forwarded_address_else_the_peer(forwarded, peer, client):
    assert domain.client_identity(forwarded, peer) == client


def test_a_sign_in_waits_while_a_counter_is_at_its_limit_in_its_window():
    policy = domain.ThrottlePolicy(per_account=5, per_client=100, window=timedelta(minutes=15))
    under = domain.FailureCount(failures=4, window_started_at=NOW - timedelta(minutes=1), limit=5)
    domain.check_throttle([under], policy, NOW)
    over = domain.FailureCount(failures=5, window_started_at=NOW - timedelta(minutes=5), limit=5)
    with pytest.raises(domain.TooManyFailedSignIns) as err:
        domain.check_throttle([under, over], policy, NOW)
    assert err.value.metadata == {"retry_after_seconds": "600"}
    expired = domain.FailureCount(failures=50, window_started_at=NOW - timedelta(minutes=16), limit=5)
    domain.check_throttle([expired], policy, NOW)


def test_an_unknown_login_is_counted_by_the_login_itself():
    user_id = uuid.uuid4()
    assert domain.account_throttle_key(user_id, "Ada") == f"user:{user_id}"
    assert domain.account_throttle_key(None, "Ada@Example.com") == "login:ada@example.com"


def test_profile_changes_follow_the_mask():
    values = domain.ProfileValues(display_name=" Ada ", bio="b", location=(1.5, 2.5))
    assert domain.profile_changes(["display_name"], values, None) == {"display_name": "Ada"}
    assert domain.profile_changes([], values, None) == {
        "display_name": "Ada",
        "bio": "b",
        "location": Point(1.5, 2.5),
    }
    moved = domain.profile_changes(["location.longitude"], values, Point(40.0, 3.0))
    assert moved == {"location": Point(40.0, 2.5)}
    with pytest.raises(InvalidArgument) as err:
        domain.profile_changes(["password"], values, None)
    assert [v.field for v in err.value.violations] == ["update_mask"]


def test_every_posting_planned_balances():
    buyer, seller = uuid.uuid4(), uuid.uuid4()
    for legs in (
        domain.deposit_legs(buyer, 500),
        domain.hold_legs(buyer, 500),
        domain.release_legs(buyer, 500),
        domain.capture_legs(buyer, seller, 500, 25),
        domain.capture_legs(buyer, seller, 500, 0),
        domain.capture_legs(buyer, seller, 500, 500),
    ):
        assert sum(leg.amount_minor for leg in legs) == 0
        assert all(leg.amount_minor != 0 for leg in legs)


def test_funds_are_checked_only_on_the_users_accounts_that_pay():
    buyer = uuid.uuid4()
    domain.check_funds(domain.deposit_legs(buyer, 10**9), {})  # external may go below zero
    with pytest.raises(domain.InsufficientFunds):
        domain.check_funds(domain.hold_legs(buyer, 101), {(Account.AVAILABLE, buyer): 100})
    with pytest.raises(domain.InsufficientHeldFunds):
        domain.check_funds(domain.release_legs(buyer, 1), {(Account.HELD, buyer): 0})
    domain.check_funds(domain.hold_legs(buyer, 100), {(Account.AVAILABLE, buyer): 100})


def test_deposits_outside_development_are_for_admins():
    domain.deposit_allowed(development=True, is_admin=False)
    domain.deposit_allowed(development=False, is_admin=True)
    with pytest.raises(domain.DepositsAdminOnly):
        domain.deposit_allowed(development=False, is_admin=False)


def test_a_review_needs_a_pending_verification_of_someone_else():
    owner, admin = uuid.uuid4(), uuid.uuid4()
    pending = domain.VerificationStatus.PENDING
    assert domain.review(pending, owner_id=owner, reviewer_id=admin, approve=True, reason="") is (
        domain.VerificationStatus.APPROVED
    )
    with pytest.raises(domain.OwnVerification):
        domain.review(pending, owner_id=admin, reviewer_id=admin, approve=True, reason="")
    with pytest.raises(domain.VerificationNotPending):
        domain.review(domain.VerificationStatus.REJECTED, owner_id=owner, reviewer_id=admin, approve=True, reason="")
    assert domain.verification_level([domain.VerificationType.EMAIL, domain.VerificationType.EMAIL]) == 1
