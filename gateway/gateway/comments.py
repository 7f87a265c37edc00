"""The proto comments of every message, field, enum, enum value, service and method, for OpenAPI.

Generated `_pb2` modules carry no comments: protoc leaves source_code_info out of them. `make proto`
(and the tests' protoc run) therefore also writes a descriptor set with source info,
`<package>/descriptor_set.binpb`, beside the generated modules; its absence leaves the document
without descriptions, not broken.
"""

import importlib
from collections.abc import Iterator
from pathlib import Path

from google.protobuf import descriptor_pb2

DESCRIPTOR_SET = "descriptor_set.binpb"
# Field numbers of descriptor.proto that locations' paths are made of.
FILE_MESSAGES, FILE_ENUMS, FILE_SERVICES = 4, 5, 6
MESSAGE_FIELDS, MESSAGE_NESTED, MESSAGE_ENUMS = 2, 3, 4
ENUM_VALUES = 2
SERVICE_METHODS = 2


def load_comments(package: str) -> dict[str, str]:
    """Comment by full name (`pkg.Message.field`, `pkg.Enum.VALUE`, `pkg.Service.Method`) under package."""
    comments: dict[str, str] = {}
    for folder in map(Path, importlib.import_module(package).__path__):
        path = folder / DESCRIPTOR_SET
        if path.exists():
            for file in descriptor_pb2.FileDescriptorSet.FromString(path.read_bytes()).file:
                comments.update(file_comments(file))
    return comments


def file_comments(file: descriptor_pb2.FileDescriptorProto) -> dict[str, str]:
    names = dict(_names(file))
    comments = {}
    for location in file.source_code_info.location:
        name = names.get(tuple(location.path))
        text = _clean(location.leading_comments or location.trailing_comments)
        if name and text:
            comments[name] = text
    return comments


def _names(file: descriptor_pb2.FileDescriptorProto) -> Iterator[tuple[tuple[int, ...], str]]:
    prefix = file.package + "." if file.package else ""
    for index, message in enumerate(file.message_type):
        yield from _message_names(message, (FILE_MESSAGES, index), prefix + message.name)
    for index, enum in enumerate(file.enum_type):
        yield from _enum_names(enum, (FILE_ENUMS, index), prefix + enum.name)
    for index, service in enumerate(file.service):
        path, name = (FILE_SERVICES, index), prefix + service.name
        yield path, name
        for method_index, method in enumerate(service.method):
            yield (*path, SERVICE_METHODS, method_index), f"{name}.{method.name}"


def _message_names(
    message: descriptor_pb2.DescriptorProto, path: tuple[int, ...], name: str
) -> Iterator[tuple[tuple[int, ...], str]]:
    yield path, name
    for index, field in enumerate(message.field):
        yield (*path, MESSAGE_FIELDS, index), f"{name}.{field.name}"
    for index, nested in enumerate(message.nested_type):
        yield from _message_names(nested, (*path, MESSAGE_NESTED, index), f"{name}.{nested.name}")
    for index, enum in enumerate(message.enum_type):
        yield from _enum_names(enum, (*path, MESSAGE_ENUMS, index), f"{name}.{enum.name}")


def _enum_names(
    enum: descriptor_pb2.EnumDescriptorProto, path: tuple[int, ...], name: str
) -> Iterator[tuple[tuple[int, ...], str]]:
    yield path, name
    for index, value in enumerate(enum.value):
        yield (*path, ENUM_VALUES, index), f"{name}.{value.name}"


def _clean(comment: str) -> str:
    """Lines without the space after `//`; a blank line stays a paragraph break."""
    return "\n".join(line.strip() for line in comment.strip().splitlines())
