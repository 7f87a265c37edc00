"""The trading gRPC servicer: proto <-> domain, nothing else."""

from marketplace.trading.v1 import trading_service_pb2_grpc as pb_grpc
from servicekit.db import Database


class TradingApi(pb_grpc.TradingServiceServicer):
    def __init__(self, db: Database) -> None:
        self._db = db
