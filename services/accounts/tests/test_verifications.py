"""Verifications: a user asks, an admin approves or rejects, the level shows on the public profile."""

import uuid

import grpc
from google.protobuf import struct_pb2

from marketplace.accounts.v1 import accounts_service_pb2 as pb
from marketplace.accounts.v1 import events_pb2, resources_pb2
from testkit.feeds import events_until
from testkit.grpc import error_reason, field_violations, rpc_error

EMAIL = resources_pb2.VERIFICATION_TYPE_EMAIL
PHONE = resources_pb2.VERIFICATION_TYPE_PHONE
PENDING = resources_pb2.VERIFICATION_STATUS_PENDING
APPROVED = resources_pb2.VERIFICATION_STATUS_APPROVED
REJECTED = resources_pb2.VERIFICATION_STATUS_REJECTED


def ask(kind: int, request_id: str = "", **data) -> pb.CreateVerificationRequest:
    evidence = struct_pb2.Struct()
    evidence.update(data)
    return pb.CreateVerificationRequest(
        verification=resources_pb2.Verification(type=kind, data=evidence), request_id=request_id
    )


async def test_a_verification_starts_pending_with_its_evidence(accounts, sign_up):
    me = await sign_up()
    verification = await accounts.CreateVerification(ask(EMAIL, email=me.user.email), metadata=me.auth)
    assert (verification.user_id, verification.type, verification.status) == (me.user.id, EMAIL, PENDING)
    assert dict(verification.data) == {"email": me.user.email}
    assert verification.create_time.seconds > 0
    assert not verification.HasField("review_time") and verification.reviewer_id == ""


async def test_an_admin_approves_and_the_level_shows_on_the_profiles(accounts, sign_up, make_admin, stack):
    me, admin = await sign_up(), await make_admin()
    email = await accounts.CreateVerification(ask(EMAIL, email=me.user.email), metadata=me.auth)
    phone = await accounts.CreateVerification(ask(PHONE, phone="+4915112345678"), metadata=me.auth)
    approved = await accounts.ApproveVerification(
        pb.ApproveVerificationRequest(verification_id=email.id), metadata=admin.auth
    )
    assert (approved.status, approved.reviewer_id) == (APPROVED, admin.user.id)
    assert approved.HasField("review_time")
    await accounts.ApproveVerification(pb.ApproveVerificationRequest(verification_id=phone.id), metadata=admin.auth)

    public = await accounts.GetUser(pb.GetUserRequest(user_id=me.user.id))
    assert public.verification_level == 2
    assert list(public.verified) == [EMAIL, PHONE]
    assert (await accounts.GetMe(pb.GetMeRequest(), metadata=me.auth)).verification_level == 2

    events = await events_until(
        stack.channel("accounts", as_service="messaging"),
        lambda events: (
            sum(e.type == "accounts.verification.reviewed" and e.subject_id in (email.id, phone.id) for e in events)
            == 2
        ),
    )
    reviewed = events_pb2.VerificationReviewed()
    [last] = [e for e in events if e.subject_id == phone.id]
    assert last.payload.Unpack(reviewed)
    assert (reviewed.user_id, reviewed.status, reviewed.verification_level) == (me.user.id, APPROVED, 2)


async def test_a_rejection_needs_a_reason_and_does_not_count(accounts, sign_up, make_admin):
    me, admin = await sign_up(), await make_admin()
    asked = await accounts.CreateVerification(ask(resources_pb2.VERIFICATION_TYPE_GOVERNMENT_ID), metadata=me.auth)
    error = await rpc_error(
        accounts.RejectVerification(pb.RejectVerificationRequest(verification_id=asked.id), metadata=admin.auth)
    )
    assert set(field_violations(error)) == {"reason"}
    rejected = await accounts.RejectVerification(
        pb.RejectVerificationRequest(verification_id=asked.id, reason="The photo is unreadable."), metadata=admin.auth
    )
    assert (rejected.status, rejected.reason) == (REJECTED, "The photo is unreadable.")
    assert (await accounts.GetUser(pb.GetUserRequest(user_id=me.user.id))).verification_level == 0
    # Rejected, so the user may try again.
    again = await accounts.CreateVerification(ask(resources_pb2.VERIFICATION_TYPE_GOVERNMENT_ID), metadata=me.auth)
    assert again.status == PENDING


async def test_a_non_admin_may_not_review(accounts, sign_up):
    me, other = await sign_up(), await sign_up()
    asked = await accounts.CreateVerification(ask(EMAIL), metadata=me.auth)
    for caller in (me, other):
        error = await rpc_error(
            accounts.ApproveVerification(pb.ApproveVerificationRequest(verification_id=asked.id), metadata=caller.auth)
        )
        assert error.code() is grpc.StatusCode.PERMISSION_DENIED


async def test_an_admin_may_not_review_their_own(accounts, make_admin):
    admin = await make_admin()
    asked = await accounts.CreateVerification(ask(EMAIL), metadata=admin.auth)
    error = await rpc_error(
        accounts.ApproveVerification(pb.ApproveVerificationRequest(verification_id=asked.id), metadata=admin.auth)
    )
    assert error_reason(error) == "OWN_VERIFICATION"


async def test_a_reviewed_verification_is_not_reviewed_again(accounts, sign_up, make_admin):
    me, admin = await sign_up(), await make_admin()
    asked = await accounts.CreateVerification(ask(EMAIL), metadata=me.auth)
    await accounts.ApproveVerification(pb.ApproveVerificationRequest(verification_id=asked.id), metadata=admin.auth)
    error = await rpc_error(
        accounts.RejectVerification(
            pb.RejectVerificationRequest(verification_id=asked.id, reason="changed my mind"), metadata=admin.auth
        )
    )
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(error) == "VERIFICATION_NOT_PENDING"
    missing = await rpc_error(
        accounts.ApproveVerification(
            pb.ApproveVerificationRequest(verification_id=str(uuid.uuid4())), metadata=admin.auth
        )
    )
    assert missing.code() is grpc.StatusCode.NOT_FOUND


async def test_one_pending_verification_per_kind_and_none_once_approved(accounts, sign_up, make_admin):
    me, admin = await sign_up(), await make_admin()
    asked = await accounts.CreateVerification(ask(EMAIL), metadata=me.auth)
    pending = await rpc_error(accounts.CreateVerification(ask(EMAIL), metadata=me.auth))
    assert (pending.code(), error_reason(pending)) == (grpc.StatusCode.ALREADY_EXISTS, "VERIFICATION_PENDING")
    await accounts.ApproveVerification(pb.ApproveVerificationRequest(verification_id=asked.id), metadata=admin.auth)
    done = await rpc_error(accounts.CreateVerification(ask(EMAIL), metadata=me.auth))
    assert (done.code(), error_reason(done)) == (grpc.StatusCode.FAILED_PRECONDITION, "ALREADY_VERIFIED")


async def test_a_repeated_request_id_creates_once(accounts, sign_up):
    me = await sign_up()
    first = await accounts.CreateVerification(ask(EMAIL, request_id="v-1"), metadata=me.auth)
    again = await accounts.CreateVerification(ask(EMAIL, request_id="v-1"), metadata=me.auth)
    assert first.id == again.id


async def test_a_type_is_required_and_the_evidence_is_bounded(accounts, sign_up):
    me = await sign_up()
    error = await rpc_error(accounts.CreateVerification(ask(0), metadata=me.auth))
    assert set(field_violations(error)) == {"verification.type"}
    huge = await rpc_error(accounts.CreateVerification(ask(EMAIL, blob="x" * 20_000), metadata=me.auth))
    assert set(field_violations(huge)) == {"verification.data"}


async def test_users_list_their_own_and_admins_everyones(accounts, sign_up, make_admin):
    me, other, admin = await sign_up(), await sign_up(), await make_admin()
    for kind in (EMAIL, PHONE):
        await accounts.CreateVerification(ask(kind), metadata=me.auth)
    theirs = await accounts.CreateVerification(ask(EMAIL), metadata=other.auth)

    mine = await accounts.ListVerifications(pb.ListVerificationsRequest(), metadata=me.auth)
    assert [v.type for v in mine.verifications] == [PHONE, EMAIL]  # newest first
    refused = await rpc_error(
        accounts.ListVerifications(pb.ListVerificationsRequest(user_id=other.user.id), metadata=me.auth)
    )
    assert refused.code() is grpc.StatusCode.PERMISSION_DENIED

    queue, token = [], ""
    while True:
        page = await accounts.ListVerifications(
            pb.ListVerificationsRequest(status=PENDING, page_size=2, page_token=token), metadata=admin.auth
        )
        queue += page.verifications
        token = page.next_page_token
        if not token:
            break
    assert theirs.id in {v.id for v in queue}
    assert {v.status for v in queue} == {PENDING}
    only_other = await accounts.ListVerifications(
        pb.ListVerificationsRequest(user_id=other.user.id), metadata=admin.auth
    )
    assert [v.id for v in only_other.verifications] == [theirs.id]
