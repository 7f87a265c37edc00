"""The RPC methods of the generated proto modules, with their HTTP rules and access rules."""

import importlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import ModuleType

from google.api import annotations_pb2, http_pb2
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from marketplace.common.v1 import access_pb2

Access = access_pb2.Access


@dataclass(frozen=True)
class RpcMethod:
    """One RPC as the gateway sees it: where it lives, who may call it, how HTTP reaches it."""

    descriptor: MethodDescriptor
    access: int
    http_rule: http_pb2.HttpRule | None

    @property
    def name(self) -> str:
        return self.descriptor.name

    @property
    def service_name(self) -> str:
        return self.descriptor.containing_service.name

    @property
    def context(self) -> str:
        """The second part of the package, `catalog` in `marketplace.catalog.v1`: it picks the backend."""
        return self.descriptor.containing_service.file.package.split(".")[1]

    @property
    def grpc_path(self) -> str:
        return f"/{self.descriptor.containing_service.full_name}/{self.descriptor.name}"

    @property
    def server_streaming(self) -> bool:
        return self.descriptor.server_streaming

    @property
    def client_streaming(self) -> bool:
        return self.descriptor.client_streaming

    @cached_property
    def request_class(self) -> type[Message]:
        return GetMessageClass(self.descriptor.input_type)

    @cached_property
    def response_class(self) -> type[Message]:
        return GetMessageClass(self.descriptor.output_type)


def import_generated_modules(package: str) -> list[ModuleType]:
    """Imports every `*_pb2` module under package; walks files because the generated
    folders are namespace packages, which pkgutil.walk_packages does not enter."""
    root = importlib.import_module(package)
    names: dict[str, None] = {}  # ordered and without repeats: a folder may be on the path twice
    for folder in map(Path, root.__path__):
        for file in sorted(folder.rglob("*_pb2.py")):
            names[".".join((package, *file.relative_to(folder).with_suffix("").parts))] = None
    return [importlib.import_module(name) for name in names]


def load_methods(package: str = "marketplace") -> list[RpcMethod]:
    """Every RPC of every service defined in the generated modules under package."""
    methods = []
    for module in import_generated_modules(package):
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                options = method.GetOptions()
                rule = options.Extensions[annotations_pb2.http] if options.HasExtension(annotations_pb2.http) else None
                access = options.Extensions[access_pb2.access] or Access.ACCESS_USER
                methods.append(RpcMethod(descriptor=method, access=access, http_rule=rule))
    return methods
