"""The accounts gRPC servicer: proto <-> domain, nothing else."""

import json

from google.protobuf import empty_pb2, json_format, struct_pb2
from grpc.aio import ServicerContext

from accounts.domain.profiles import NOTIFICATION_KINDS, PreferenceValues, ProfileValues
from accounts.domain.sessions import IssuedSession, TokenIssuer
from accounts.domain.settings import AccountsRuntimeSettings
from accounts.domain.throttling import client_identity
from accounts.domain.users import NewUser, Registration, validate_registration
from accounts.domain.verifications import NewVerification, VerificationStatus, VerificationType, validate_verification
from accounts.models import Profile, User, Verification
from accounts.repository.ledger import Ledger
from accounts.repository.ledger_reads import Entry, Hold, Posting, WalletBalance
from accounts.repository.users import UserView
from accounts.service import ledger, sessions, users, verifications
from marketplace.accounts.v1 import accounts_service_pb2 as pb
from marketplace.accounts.v1 import accounts_service_pb2_grpc as pb_grpc
from marketplace.accounts.v1 import resources_pb2
from marketplace.common.v1 import money_pb2
from servicekit import enums
from servicekit.admin import AdminMethods
from servicekit.auth import Role, require_caller
from servicekit.convert import timestamp
from servicekit.db import Database
from servicekit.errors import FieldViolation, InvalidArgument
from servicekit.geo import point_from_wkb
from servicekit.idempotency import Once
from servicekit.ids import parse_id, parse_optional_id
from servicekit.interceptors import metadata_value
from servicekit.money import CURRENCY, Money, check_money
from servicekit.pagination import page_request
from servicekit.runtime_settings import SettingsStore
from servicekit.suspensions import SuspendedUsers

JWK_FIELDS = tuple(resources_pb2.SigningKey.DESCRIPTOR.fields_by_name)
FORWARDED_FOR = "x-forwarded-for"


def profile_to_proto(profile: Profile) -> resources_pb2.Profile:
    location = point_from_wkb(profile.location)
    return resources_pb2.Profile(
        display_name=profile.display_name,
        bio=profile.bio,
        avatar_url=profile.avatar_url,
        location=location.to_proto() if location else None,
        preferences=resources_pb2.Preferences(
            currency=profile.preferred_currency,
            language=profile.language,
            search_radius_km=profile.search_radius_km,
            notifications=resources_pb2.NotificationChoices(
                **{kind: getattr(profile, f"notify_{kind}") for kind in NOTIFICATION_KINDS}
            ),
        ),
    )


def user_to_proto(user: User, verification_level: int = 0) -> resources_pb2.User:
    return resources_pb2.User(
        id=str(user.id),
        email=user.email,
        username=user.username,
        phone=user.phone or "",
        role=enums.to_proto(resources_pb2.Role, user.role),
        status=enums.to_proto(resources_pb2.UserStatus, user.status),
        profile=profile_to_proto(user.profile),
        verification_level=verification_level,
        create_time=timestamp(user.created_at),
        # The user's own view changes when either the account or the profile does.
        update_time=timestamp(max(user.updated_at, user.profile.updated_at)),
    )


def view_to_proto(view: UserView) -> resources_pb2.User:
    return user_to_proto(view.user, view.verification_level)


def public_profile_to_proto(view: UserView) -> resources_pb2.PublicProfile:
    """What anyone may see: no email, phone or location."""
    user = view.user
    return resources_pb2.PublicProfile(
        user_id=str(user.id),
        username=user.username,
        display_name=user.profile.display_name or user.username,
        bio=user.profile.bio,
        avatar_url=user.profile.avatar_url,
        role=enums.to_proto(resources_pb2.Role, user.role),
        verification_level=view.verification_level,
        verified=[enums.to_proto(resources_pb2.VerificationType, kind) for kind in view.verified],
        create_time=timestamp(user.created_at),
    )


def session_to_proto(issued: IssuedSession) -> resources_pb2.Session:
    return resources_pb2.Session(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.expires_in,
        token_type="Bearer",
        user_id=str(issued.user_id),
    )


def money(currency: str, amount_minor: int) -> money_pb2.Money:
    return money_pb2.Money(currency=currency, amount_minor=amount_minor)


def wallet_to_proto(wallet: WalletBalance) -> resources_pb2.Wallet:
    return resources_pb2.Wallet(
        user_id=str(wallet.user_id),
        currency=wallet.currency,
        balance=money(wallet.currency, wallet.available_minor),
        held=money(wallet.currency, wallet.held_minor),
        update_time=timestamp(wallet.updated_at),
    )


def entry_to_proto(entry: Entry) -> resources_pb2.LedgerEntry:
    return resources_pb2.LedgerEntry(
        id=str(entry.id),
        posting_id=str(entry.posting_id),
        user_id=str(entry.user_id) if entry.user_id else "",
        account=enums.to_proto(resources_pb2.LedgerAccount, entry.account),
        amount=money(entry.currency, entry.amount_minor),
        kind=enums.to_proto(resources_pb2.PostingKind, entry.kind),
        transaction_id=str(entry.transaction_id) if entry.transaction_id else "",
        request_id=entry.request_id,
        create_time=timestamp(entry.created_at),
    )


def posting_to_proto(posting: Posting) -> resources_pb2.Posting:
    return resources_pb2.Posting(
        id=str(posting.id),
        kind=enums.to_proto(resources_pb2.PostingKind, posting.kind),
        request_id=posting.request_id,
        transaction_id=str(posting.transaction_id) if posting.transaction_id else "",
        entries=[entry_to_proto(entry) for entry in posting.entries],
        create_time=timestamp(posting.created_at),
        hold_id=str(posting.hold_id) if posting.hold_id else "",
    )


def hold_to_proto(hold: Hold) -> resources_pb2.Hold:
    return resources_pb2.Hold(
        id=str(hold.id),
        user_id=str(hold.user_id),
        amount=money(hold.currency, hold.amount_minor),
        remaining=money(hold.currency, hold.amounts.remaining_minor),
        captured=money(hold.currency, hold.amounts.captured_minor),
        released=money(hold.currency, hold.amounts.released_minor),
        status=enums.to_proto(resources_pb2.HoldStatus, hold.status),
        request_id=hold.request_id,
        transaction_id=str(hold.transaction_id) if hold.transaction_id else "",
        create_time=timestamp(hold.created_at),
        update_time=timestamp(hold.updated_at),
    )


def verification_to_proto(verification: Verification) -> resources_pb2.Verification:
    data = struct_pb2.Struct()
    data.update(verification.data)
    return resources_pb2.Verification(
        id=str(verification.id),
        user_id=str(verification.user_id),
        type=enums.to_proto(resources_pb2.VerificationType, verification.type),
        data=data,
        status=enums.to_proto(resources_pb2.VerificationStatus, verification.status),
        reason=verification.rejection_reason,
        reviewer_id=str(verification.reviewer_id) if verification.reviewer_id else "",
        create_time=timestamp(verification.submitted_at),
        update_time=timestamp(verification.updated_at),
        review_time=timestamp(verification.decided_at),
    )


def registration_from_proto(request: pb.CreateUserRequest) -> NewUser:
    violations: list[FieldViolation] = []
    role = enums.from_proto(resources_pb2.Role, Role, request.role, "role", violations)
    registration = Registration(
        email=request.email, username=request.username, password=request.password, phone=request.phone, role=role
    )
    return validate_registration(registration, violations)


def preference_values_from_proto(preferences: resources_pb2.Preferences) -> PreferenceValues:
    notifications = None
    if preferences.HasField("notifications"):
        notifications = {kind: getattr(preferences.notifications, kind) for kind in NOTIFICATION_KINDS}
    return PreferenceValues(
        currency=preferences.currency,
        language=preferences.language,
        search_radius_km=preferences.search_radius_km,
        notifications=notifications,
    )


def profile_values_from_proto(profile: resources_pb2.Profile) -> ProfileValues:
    location = (profile.location.latitude, profile.location.longitude) if profile.HasField("location") else None
    return ProfileValues(
        display_name=profile.display_name,
        bio=profile.bio,
        avatar_url=profile.avatar_url,
        location=location,
        preferences=preference_values_from_proto(profile.preferences),
    )


def verification_from_proto(verification: resources_pb2.Verification) -> NewVerification:
    violations: list[FieldViolation] = []
    kind = enums.from_proto(
        resources_pb2.VerificationType, VerificationType, verification.type, "verification.type", violations
    )
    data = json_format.MessageToDict(verification.data)
    validate_verification(kind, len(json.dumps(data).encode()), violations)
    return NewVerification(type=kind, data=data)


def escrow_to_proto(hold, posting) -> dict:
    """The fields of a Hold, Capture or Release response."""
    return {"hold": hold_to_proto(hold), "posting": posting_to_proto(posting)}


def escrow_from_proto(request, id_fields: tuple[str, ...]) -> tuple[list, Money | None]:
    """The ids and amount (None when not set) of a Hold, Capture or Release, or every problem at once."""
    violations: list[FieldViolation] = []
    ids = [parse_optional_id(field, getattr(request, field), violations) for field in id_fields]
    amount = check_money("amount", request.amount, violations) if request.HasField("amount") else None
    if violations:
        raise InvalidArgument(violations)
    return ids, amount


def fee_from_proto(request: pb.CaptureFundsRequest) -> Money | None:
    """The fee as sent; the capture checks it against the hold's currency and the amount paid."""
    return Money(request.fee.currency, request.fee.amount_minor) if request.HasField("fee") else None


def client_of(context: ServicerContext) -> str:
    """Who signs in or registers: the address the gateway forwards, else the caller's own."""
    return client_identity(metadata_value(context, FORWARDED_FOR), context.peer())


class AccountsApi(AdminMethods, pb_grpc.AccountsServiceServicer):
    def __init__(
        self,
        db: Database,
        runtime_settings: SettingsStore[AccountsRuntimeSettings],
        issuer: TokenIssuer,
        *,
        suspended: SuspendedUsers | None = None,
        development: bool = True,
    ) -> None:
        super().__init__(db, runtime_settings)
        self._issuer = issuer
        self._ledger = Ledger(db)
        self._suspended = suspended if suspended is not None else SuspendedUsers()
        self._development = development

    async def CreateUser(self, request: pb.CreateUserRequest, context: ServicerContext) -> resources_pb2.User:
        user = await users.register(
            self._db,
            registration_from_proto(request),
            Once.of(request, user_to_proto),
            client=client_of(context),
            settings=self._runtime_settings.values,
        )
        return user_to_proto(user)

    async def CreateSession(self, request: pb.CreateSessionRequest, context: ServicerContext) -> resources_pb2.Session:
        issued = await sessions.create_session(
            self._db,
            self._issuer,
            request.login,
            request.password,
            client=client_of(context),
            throttle=self._runtime_settings.values.throttle,
        )
        return session_to_proto(issued)

    async def RefreshSession(
        self, request: pb.RefreshSessionRequest, context: ServicerContext
    ) -> resources_pb2.Session:
        return session_to_proto(await sessions.refresh_session(self._db, self._issuer, request.refresh_token))

    async def RevokeSession(self, request: pb.RevokeSessionRequest, context: ServicerContext) -> empty_pb2.Empty:
        await sessions.revoke_session(self._db, request.refresh_token)
        return empty_pb2.Empty()

    async def ListSigningKeys(
        self, request: pb.ListSigningKeysRequest, context: ServicerContext
    ) -> pb.ListSigningKeysResponse:
        keys = [
            resources_pb2.SigningKey(**{name: jwk[name] for name in JWK_FIELDS if name in jwk})
            for jwk in self._issuer.public_keys()
        ]
        return pb.ListSigningKeysResponse(keys=keys)

    async def GetMe(self, request: pb.GetMeRequest, context: ServicerContext) -> resources_pb2.User:
        return view_to_proto(await users.get_me(self._db, require_caller()))

    async def UpdateMe(self, request: pb.UpdateMeRequest, context: ServicerContext) -> resources_pb2.User:
        values = profile_values_from_proto(request.profile)
        view = await users.update_me(self._db, require_caller(), list(request.update_mask.paths), values)
        return view_to_proto(view)

    async def GetUser(self, request: pb.GetUserRequest, context: ServicerContext) -> resources_pb2.PublicProfile:
        view = await users.get_user(self._db, parse_id("user_id", request.user_id))
        return public_profile_to_proto(view)

    async def GetUserLocation(
        self, request: pb.GetUserLocationRequest, context: ServicerContext
    ) -> pb.GetUserLocationResponse:
        view = await users.get_user(self._db, parse_id("user_id", request.user_id))
        location = point_from_wkb(view.user.profile.location)
        return pb.GetUserLocationResponse(location=location.to_proto() if location else None)

    async def SuspendUser(self, request: pb.SuspendUserRequest, context: ServicerContext) -> resources_pb2.User:
        view = await users.suspend_user(
            self._db, require_caller(), parse_id("user_id", request.user_id), request.reason
        )
        # This replica refuses the user's tokens now; the others (and other services) when the event reaches them.
        self._suspended.suspend(view.user.id)
        return view_to_proto(view)

    async def ReinstateUser(self, request: pb.ReinstateUserRequest, context: ServicerContext) -> resources_pb2.User:
        view = await users.reinstate_user(self._db, require_caller(), parse_id("user_id", request.user_id))
        self._suspended.reinstate(view.user.id)
        return view_to_proto(view)

    async def ListSuspendedUsers(
        self, request: pb.ListSuspendedUsersRequest, context: ServicerContext
    ) -> pb.ListSuspendedUsersResponse:
        user_ids, cursor = await users.suspended_users(self._db)
        return pb.ListSuspendedUsersResponse(user_ids=[str(user_id) for user_id in user_ids], event_cursor=cursor)

    async def GetMyWallets(self, request: pb.GetMyWalletsRequest, context: ServicerContext) -> pb.GetMyWalletsResponse:
        found = await ledger.get_wallets(self._ledger, require_caller())
        return pb.GetMyWalletsResponse(wallets=[wallet_to_proto(wallet) for wallet in found])

    async def DepositFunds(self, request: pb.DepositFundsRequest, context: ServicerContext) -> resources_pb2.Wallet:
        caller = require_caller()
        violations: list[FieldViolation] = []
        amount = check_money("amount", request.amount, violations)
        if violations:
            raise InvalidArgument(violations)
        once = Once.of(request, wallet_to_proto)
        wallet = await ledger.deposit(self._ledger, caller, amount, once, development=self._development)
        return wallet_to_proto(wallet)

    async def ListMyLedgerEntries(
        self, request: pb.ListMyLedgerEntriesRequest, context: ServicerContext
    ) -> pb.ListMyLedgerEntriesResponse:
        caller = require_caller()
        if request.currency and not CURRENCY.match(request.currency):
            raise InvalidArgument.field("currency", "must be an ISO 4217 code such as USD")
        page = page_request(request.page_size, request.page_token)
        entries, token = await ledger.list_entries(self._ledger, caller, request.currency, page)
        return pb.ListMyLedgerEntriesResponse(
            entries=[entry_to_proto(entry) for entry in entries], next_page_token=token
        )

    async def HoldFunds(self, request: pb.HoldFundsRequest, context: ServicerContext) -> pb.HoldFundsResponse:
        (user_id, transaction_id), amount = escrow_from_proto(request, ("user_id", "transaction_id"))
        once = Once.of(request, lambda result: pb.HoldFundsResponse(**escrow_to_proto(*result)))
        return once.response(await ledger.hold_funds(self._ledger, once, user_id, amount, transaction_id))

    async def CaptureFunds(self, request: pb.CaptureFundsRequest, context: ServicerContext) -> pb.CaptureFundsResponse:
        (hold_id, seller_id), amount = escrow_from_proto(request, ("hold_id", "seller_id"))
        once = Once.of(request, lambda result: pb.CaptureFundsResponse(**escrow_to_proto(*result)))
        fee = fee_from_proto(request)
        return once.response(await ledger.capture_funds(self._ledger, once, hold_id, seller_id, amount, fee))

    async def ReleaseFunds(self, request: pb.ReleaseFundsRequest, context: ServicerContext) -> pb.ReleaseFundsResponse:
        (hold_id,), amount = escrow_from_proto(request, ("hold_id",))
        once = Once.of(request, lambda result: pb.ReleaseFundsResponse(**escrow_to_proto(*result)))
        return once.response(await ledger.release_funds(self._ledger, once, hold_id, amount))

    async def CreateVerification(
        self, request: pb.CreateVerificationRequest, context: ServicerContext
    ) -> resources_pb2.Verification:
        caller = require_caller()
        new = verification_from_proto(request.verification)
        once = Once.of(request, verification_to_proto)
        return verification_to_proto(await verifications.create_verification(self._db, caller, new, once))

    async def ListVerifications(
        self, request: pb.ListVerificationsRequest, context: ServicerContext
    ) -> pb.ListVerificationsResponse:
        caller = require_caller()
        violations: list[FieldViolation] = []
        status = enums.from_proto(
            resources_pb2.VerificationStatus, VerificationStatus, request.status, "status", violations
        )
        user_id = parse_optional_id("user_id", request.user_id, violations)
        if violations:
            raise InvalidArgument(violations)
        page = page_request(request.page_size, request.page_token)
        found, token = await verifications.list_verifications(self._db, caller, page, user_id=user_id, status=status)
        return pb.ListVerificationsResponse(
            verifications=[verification_to_proto(verification) for verification in found], next_page_token=token
        )

    async def ApproveVerification(
        self, request: pb.ApproveVerificationRequest, context: ServicerContext
    ) -> resources_pb2.Verification:
        verification = await verifications.review_verification(
            self._db, require_caller(), parse_id("verification_id", request.verification_id), approve=True
        )
        return verification_to_proto(verification)

    async def RejectVerification(
        self, request: pb.RejectVerificationRequest, context: ServicerContext
    ) -> resources_pb2.Verification:
        verification = await verifications.review_verification(
            self._db,
            require_caller(),
            parse_id("verification_id", request.verification_id),
            approve=False,
            reason=request.reason,
        )
        return verification_to_proto(verification)
