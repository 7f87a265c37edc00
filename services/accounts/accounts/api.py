"""The accounts gRPC servicer: proto <-> domain, nothing else."""

from marketplace.accounts.v1 import accounts_service_pb2_grpc as pb_grpc
from servicekit.db import Database


class AccountsApi(pb_grpc.AccountsServiceServicer):
    def __init__(self, db: Database) -> None:
        self._db = db
