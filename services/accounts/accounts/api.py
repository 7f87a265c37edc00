"""The accounts gRPC servicer: proto <-> domain, nothing else."""

from google.protobuf import empty_pb2
from grpc.aio import ServicerContext

from accounts import domain, service
from accounts.models import Profile, User
from accounts.tokens import IssuedSession, TokenIssuer
from marketplace.accounts.v1 import accounts_service_pb2 as pb
from marketplace.accounts.v1 import accounts_service_pb2_grpc as pb_grpc
from marketplace.accounts.v1 import resources_pb2
from servicekit import enums
from servicekit.auth import Role, require_caller
from servicekit.convert import timestamp
from servicekit.db import Database
from servicekit.errors import FieldViolation
from servicekit.geo import point_from_wkb

JWK_FIELDS = tuple(resources_pb2.SigningKey.DESCRIPTOR.fields_by_name)


def profile_to_proto(profile: Profile) -> resources_pb2.Profile:
    location = point_from_wkb(profile.location)
    return resources_pb2.Profile(
        display_name=profile.display_name,
        bio=profile.bio,
        avatar_url=profile.avatar_url,
        location=location.to_proto() if location else None,
    )


def user_to_proto(user: User) -> resources_pb2.User:
    return resources_pb2.User(
        id=str(user.id),
        email=user.email,
        username=user.username,
        phone=user.phone or "",
        role=enums.to_proto(resources_pb2.Role, user.role),
        status=enums.to_proto(resources_pb2.UserStatus, user.status),
        profile=profile_to_proto(user.profile),
        create_time=timestamp(user.created_at),
        # The user's own view changes when either the account or the profile does.
        update_time=timestamp(max(user.updated_at, user.profile.updated_at)),
    )


def session_to_proto(issued: IssuedSession) -> resources_pb2.Session:
    return resources_pb2.Session(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.expires_in,
        token_type="Bearer",
        user_id=str(issued.user_id),
    )


def registration_from_proto(request: pb.CreateUserRequest) -> domain.NewUser:
    violations: list[FieldViolation] = []
    role = enums.from_proto(resources_pb2.Role, Role, request.role, "role", violations)
    registration = domain.Registration(
        email=request.email, username=request.username, password=request.password, phone=request.phone, role=role
    )
    return domain.validate_registration(registration, violations)


class AccountsApi(pb_grpc.AccountsServiceServicer):
    def __init__(self, db: Database, issuer: TokenIssuer) -> None:
        self._db = db
        self._issuer = issuer

    async def CreateUser(self, request: pb.CreateUserRequest, context: ServicerContext) -> resources_pb2.User:
        user = await service.create_user(self._db, registration_from_proto(request), request.request_id)
        return user_to_proto(user)

    async def CreateSession(self, request: pb.CreateSessionRequest, context: ServicerContext) -> resources_pb2.Session:
        issued = await service.create_session(self._db, self._issuer, request.login, request.password)
        return session_to_proto(issued)

    async def RefreshSession(
        self, request: pb.RefreshSessionRequest, context: ServicerContext
    ) -> resources_pb2.Session:
        return session_to_proto(await service.refresh_session(self._db, self._issuer, request.refresh_token))

    async def RevokeSession(self, request: pb.RevokeSessionRequest, context: ServicerContext) -> empty_pb2.Empty:
        await service.revoke_session(self._db, request.refresh_token)
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
        return user_to_proto(await service.get_me(self._db, require_caller()))
