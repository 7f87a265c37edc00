"""Accounts' audit log: verification reviews, suspensions and reinstatements, and deposits outside
development, each with its admin, before and after; read by admins only."""

import grpc
from google.protobuf import json_format, struct_pb2

from marketplace.accounts.v1 import accounts_service_pb2 as pb
from marketplace.accounts.v1 import resources_pb2
from marketplace.common.v1 import audit_pb2
from testkit.grpc import error_reason, rpc_error

from .accounts_support import usd


def state(struct: struct_pb2.Struct) -> dict | None:
    return json_format.MessageToDict(struct) if struct.ListFields() else None


async def entries(accounts, admin, **filters) -> list[audit_pb2.AuditEntry]:
    reply = await accounts.ListAuditEntries(audit_pb2.ListAuditEntriesRequest(**filters), metadata=admin.auth)
    return list(reply.entries)


async def test_reviews_of_verifications_are_audited_without_their_documents(accounts, sign_up, make_admin):
    me, admin = await sign_up(), await make_admin()
    evidence = struct_pb2.Struct()
    evidence.update({"phone": "+4915112345678"})
    asked = await accounts.CreateVerification(
        pb.CreateVerificationRequest(
            verification=resources_pb2.Verification(type=resources_pb2.VERIFICATION_TYPE_PHONE, data=evidence)
        ),
        metadata=me.auth,
    )
    await accounts.RejectVerification(
        pb.RejectVerificationRequest(verification_id=asked.id, reason="unreadable"), metadata=admin.auth
    )
    [entry] = await entries(accounts, admin, target_type="verification", target_id=asked.id)
    assert (entry.actor, entry.action) == (f"user:{admin.user.id}", "verification.rejected")
    assert state(entry.before) == {"user_id": me.user.id, "type": "phone", "status": "pending", "reason": ""}
    assert state(entry.after) == {"user_id": me.user.id, "type": "phone", "status": "rejected", "reason": "unreadable"}


async def test_a_suspension_and_a_reinstatement_are_audited_once_each(accounts, sign_up, make_admin):
    me, admin = await sign_up(), await make_admin()
    for _ in range(2):  # a repeat changes nothing, and records nothing
        await accounts.SuspendUser(pb.SuspendUserRequest(user_id=me.user.id, reason="spam"), metadata=admin.auth)
    await accounts.ReinstateUser(pb.ReinstateUserRequest(user_id=me.user.id), metadata=admin.auth)
    reinstated, suspended = await entries(accounts, admin, target_type="user", target_id=me.user.id)
    assert (suspended.action, state(suspended.before), state(suspended.after)) == (
        "user.suspended",
        {"status": "active"},
        {"status": "suspended", "reason": "spam"},
    )
    assert (reinstated.action, state(reinstated.after)) == ("user.reinstated", {"status": "active"})


async def test_outside_development_only_an_admin_deposits_and_the_audit_log_keeps_it(
    accounts, accounts_replica, sign_up, make_admin
):
    user, admin = await sign_up(), await make_admin()
    await accounts.DepositFunds(pb.DepositFundsRequest(amount=usd(100)), metadata=admin.auth)
    assert await entries(accounts, admin, action="wallet.deposited", actor=f"user:{admin.user.id}") == []
    async with accounts_replica(environment="production") as production:
        error = await rpc_error(production.DepositFunds(pb.DepositFundsRequest(amount=usd(100)), metadata=user.auth))
        assert error_reason(error) == "DEPOSITS_ADMIN_ONLY"
        wallet = await production.DepositFunds(pb.DepositFundsRequest(amount=usd(250)), metadata=admin.auth)
    assert wallet.balance == usd(350)
    [entry] = await entries(accounts, admin, action="wallet.deposited", actor=f"user:{admin.user.id}")
    assert (entry.target_type, entry.target_id) == ("user", admin.user.id)
    assert state(entry.after)["currency"] == "USD" and state(entry.after)["amount_minor"] == 250


async def test_only_admins_read_the_audit_log(accounts, sign_up):
    me = await sign_up()
    denied = await rpc_error(accounts.ListAuditEntries(audit_pb2.ListAuditEntriesRequest(), metadata=me.auth))
    assert denied.code() is grpc.StatusCode.PERMISSION_DENIED
    anonymous = await rpc_error(accounts.ListAuditEntries(audit_pb2.ListAuditEntriesRequest()))
    assert anonymous.code() is grpc.StatusCode.UNAUTHENTICATED
