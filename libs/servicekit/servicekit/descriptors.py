"""What the proto descriptors say about a method: its access rule, its callers and its types."""

from functools import cache

from google.protobuf import descriptor_pool
from google.protobuf.descriptor import MethodDescriptor

from marketplace.common.v1 import access_pb2

Access = access_pb2.Access


@cache
def method_descriptor(full_method: str) -> MethodDescriptor | None:
    """The descriptor of "/package.Service/Method", or None for services outside the pool."""
    service_name, _, method_name = full_method.lstrip("/").partition("/")
    try:
        service = descriptor_pool.Default().FindServiceByName(service_name)
    except KeyError:
        return None
    return service.methods_by_name.get(method_name)


@cache
def method_access(full_method: str) -> int:
    """The `(marketplace.common.v1.access)` of a method; infrastructure services are public."""
    if not full_method.lstrip("/").startswith("marketplace."):
        return Access.ACCESS_PUBLIC
    method = method_descriptor(full_method)
    if method is None:
        return Access.ACCESS_USER
    access = method.GetOptions().Extensions[access_pb2.access]
    return access or Access.ACCESS_USER


@cache
def method_callers(full_method: str) -> frozenset[str]:
    """The services that `(marketplace.common.v1.callers)` lets call an internal method."""
    method = method_descriptor(full_method)
    return frozenset(method.GetOptions().Extensions[access_pb2.callers]) if method else frozenset()
