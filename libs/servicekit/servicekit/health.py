"""The standard gRPC health service of a process, and the parts whose failure it reports.

"" and every servicer answer SERVING while each essential part works. A background part
(an event consumer) reports under its own name too, so `grpc.health.v1.Health/Check` with
that name tells an operator which part is stuck.
"""

from grpc_health.v1 import health_pb2
from grpc_health.v1._async import HealthServicer

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class ServiceHealth:
    def __init__(self) -> None:
        self.servicer = HealthServicer()
        self._services: list[str] = []
        self._failing: set[str] = set()

    async def serve(self, service_name: str) -> None:
        """Answers for service_name too, with the process's state."""
        self._services.append(service_name)
        await self.servicer.set(service_name, self._overall())

    def _overall(self) -> int:
        return NOT_SERVING if self._failing else SERVING

    async def report(self, part: str, working: bool, *, essential: bool) -> None:
        """Sets part's own status; an essential part that fails makes the whole process NOT_SERVING."""
        await self.servicer.set(part, SERVING if working else NOT_SERVING)
        before = self._overall()
        if essential and not working:
            self._failing.add(part)
        else:
            self._failing.discard(part)
        if self._overall() != before:
            for name in self._services:
                await self.servicer.set(name, self._overall())

    async def stop(self) -> None:
        await self.servicer.enter_graceful_shutdown()
