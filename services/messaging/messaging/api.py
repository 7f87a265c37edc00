"""The messaging gRPC servicer: proto <-> domain, nothing else."""

from marketplace.messaging.v1 import messaging_service_pb2_grpc as pb_grpc
from servicekit.db import Database


class MessagingApi(pb_grpc.MessagingServiceServicer):
    def __init__(self, db: Database) -> None:
        self._db = db
