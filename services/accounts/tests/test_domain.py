"""Rules of accounts that need no database: throttling, client addresses, profiles, postings."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from accounts.domain import ledger, profiles, sessions, throttling, verifications
from accounts.domain.ledger import LedgerAccountKind as Account
from servicekit.errors import InvalidArgument
from servicekit.geo import Point
from servicekit.money import Money

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
    assert throttling.client_identity(forwarded, peer) == client


def test_an_attempt_over_a_limit_waits_until_that_keys_window_is_over():
    pair = throttling.Limit(5, timedelta(minutes=15))
    account = throttling.Limit(100, timedelta(hours=1))
    within = throttling.AttemptCount(attempts=5, window_started_at=NOW - timedelta(minutes=1), limit=pair)
    assert throttling.wait_needed([within], NOW) is None
    over_pair = throttling.AttemptCount(attempts=6, window_started_at=NOW - timedelta(minutes=5), limit=pair)
    over_account = throttling.AttemptCount(attempts=101, window_started_at=NOW - timedelta(minutes=50), limit=account)
    assert throttling.wait_needed([within, over_pair], NOW) == timedelta(minutes=10)
    assert throttling.wait_needed([over_pair, over_account], NOW) == timedelta(minutes=10)
    started_just_after = throttling.AttemptCount(attempts=6, window_started_at=NOW + timedelta(seconds=1), limit=pair)
    assert throttling.wait_needed([started_just_after], NOW) == timedelta(minutes=15)
    assert throttling.TooManyFailedSignIns(timedelta(minutes=10)).metadata == {"retry_after_seconds": "600"}


def test_a_sign_in_counts_on_its_pair_its_client_and_its_account():
    policy = throttling.ThrottlePolicy()
    keys = policy.sign_in("user:42", "203.0.113.7")
    assert keys == {
        "pair:user:42|203.0.113.7": policy.per_account_and_client,
        "client:203.0.113.7": policy.per_client,
        "user:42": policy.per_account,
    }
    assert policy.per_account.attempts > policy.per_account_and_client.attempts
    assert policy.per_account.window > policy.per_account_and_client.window


def test_an_unknown_login_is_counted_by_the_login_itself():
    user_id = uuid.uuid4()
    assert throttling.account_throttle_key(user_id, "Ada") == f"user:{user_id}"
    unknown = throttling.account_throttle_key(None, "Ada@Example.com")
    assert unknown == throttling.account_throttle_key(None, "ada@example.COM")
    assert unknown.startswith("login:")
    assert "ada" not in unknown
    assert len(throttling.account_throttle_key(None, "x" * 10_000)) < 100


def test_profile_changes_follow_the_mask():
    values = profiles.ProfileValues(display_name=" Ada ", bio="b", location=(1.5, 2.5))
    assert profiles.profile_changes(["display_name"], values, None) == {"display_name": "Ada"}
    assert profiles.profile_changes([], values, None) == {
        "display_name": "Ada",
        "bio": "b",
        "location": Point(1.5, 2.5),
    }
    moved = profiles.profile_changes(["location.longitude"], values, Point(40.0, 3.0))
    assert moved == {"location": Point(40.0, 2.5)}
    with pytest.raises(InvalidArgument) as err:
        profiles.profile_changes(["password"], values, None)
    assert [v.field for v in err.value.violations] == ["update_mask"]


def test_every_posting_planned_balances():
    buyer, seller = uuid.uuid4(), uuid.uuid4()
    for legs in (
        ledger.deposit_legs(buyer, 500),
        ledger.hold_legs(buyer, 500),
        ledger.release_legs(buyer, 500),
        ledger.capture_legs(buyer, seller, 500, 25),
        ledger.capture_legs(buyer, seller, 500, 0),
        ledger.capture_legs(buyer, seller, 500, 500),
    ):
        assert sum(leg.amount_minor for leg in legs) == 0
        assert all(leg.amount_minor != 0 for leg in legs)


def test_funds_are_checked_only_on_the_users_accounts_that_pay():
    buyer = uuid.uuid4()
    ledger.check_funds(ledger.deposit_legs(buyer, 10**9), {})  # external may go below zero
    with pytest.raises(ledger.InsufficientFunds):
        ledger.check_funds(ledger.hold_legs(buyer, 101), {(Account.AVAILABLE, buyer): 100})
    ledger.check_funds(ledger.hold_legs(buyer, 100), {(Account.AVAILABLE, buyer): 100})


def test_a_hold_is_settled_in_parts_never_beyond_what_is_left():
    held = ledger.HoldAmounts(remaining_minor=1000)
    moved, after = ledger.settle(held, ledger.PostingKind.CAPTURE, Money("USD", 300), "USD")
    assert (moved, after) == (300, ledger.HoldAmounts(700, captured_minor=300))
    moved, after = ledger.settle(after, ledger.PostingKind.RELEASE, None, "USD")
    assert (moved, after) == (700, ledger.HoldAmounts(0, captured_minor=300, released_minor=700))
    assert after.status is ledger.HoldStatus.CLOSED
    with pytest.raises(ledger.HoldClosed):
        ledger.settle(after, ledger.PostingKind.RELEASE, None, "USD")
    with pytest.raises(ledger.AmountExceedsHold) as err:
        ledger.settle(held, ledger.PostingKind.CAPTURE, Money("USD", 1001), "USD")
    assert err.value.metadata == {"remaining_minor": "1000"}
    with pytest.raises(InvalidArgument) as err:
        ledger.settle(held, ledger.PostingKind.CAPTURE, Money("EUR", 1), "USD")
    assert [violation.field for violation in err.value.violations] == ["amount.currency"]


def test_a_fee_is_from_zero_up_to_the_amount_paid_in_the_holds_currency():
    assert ledger.check_fee(500, None, "USD") == 0
    assert ledger.check_fee(500, Money("USD", 500), "USD") == 500
    with pytest.raises(InvalidArgument) as err:
        ledger.check_fee(500, Money("EUR", 501), "USD")
    assert [violation.field for violation in err.value.violations] == ["fee.currency", "fee.amount_minor"]


def test_deposits_outside_development_are_for_admins():
    ledger.deposit_allowed(development=True, is_admin=False)
    ledger.deposit_allowed(development=False, is_admin=True)
    with pytest.raises(ledger.DepositsAdminOnly):
        ledger.deposit_allowed(development=False, is_admin=False)


def test_a_review_needs_a_pending_verification_of_someone_else():
    owner, admin = uuid.uuid4(), uuid.uuid4()
    pending = verifications.VerificationStatus.PENDING
    assert verifications.review(pending, owner_id=owner, reviewer_id=admin, approve=True, reason="") is (
        verifications.VerificationStatus.APPROVED
    )
    with pytest.raises(verifications.OwnVerification):
        verifications.review(pending, owner_id=admin, reviewer_id=admin, approve=True, reason="")
    with pytest.raises(verifications.VerificationNotPending):
        verifications.review(
            verifications.VerificationStatus.REJECTED, owner_id=owner, reviewer_id=admin, approve=True, reason=""
        )
    assert (
        verifications.verification_level([verifications.VerificationType.EMAIL, verifications.VerificationType.EMAIL])
        == 1
    )


def test_a_rotated_refresh_token_is_a_retry_within_the_grace_and_a_theft_after():
    grace = timedelta(seconds=10)
    later = NOW + timedelta(days=1)
    rotated = sessions.RefreshTokenState(expires_at=later, rotated_at=NOW - timedelta(seconds=9), live=True)
    sessions.check_refresh(rotated, NOW, grace)
    with pytest.raises(sessions.RefreshTokenInvalid):
        sessions.check_refresh(sessions.RefreshTokenState(later, rotated.rotated_at, live=False), NOW, grace)
    with pytest.raises(sessions.RefreshTokenReused):
        sessions.check_refresh(rotated, NOW + timedelta(seconds=2), grace)
    with pytest.raises(sessions.RefreshTokenInvalid, match="expired"):
        sessions.check_refresh(sessions.RefreshTokenState(NOW, rotated_at=None, live=True), NOW, grace)
