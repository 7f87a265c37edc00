"""Generic checks of `(google.api.field_behavior) = REQUIRED` read from the descriptors."""

from google.api import field_behavior_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from servicekit.errors import FieldViolation, InvalidArgument

REQUIRED = field_behavior_pb2.FieldBehavior.REQUIRED


def _is_required(field: FieldDescriptor) -> bool:
    return REQUIRED in field.GetOptions().Extensions[field_behavior_pb2.field_behavior]


def _is_set(message: Message, field: FieldDescriptor) -> bool:
    if field.is_repeated:
        return len(getattr(message, field.name)) > 0
    if field.type == FieldDescriptor.TYPE_MESSAGE or field.has_presence:
        return message.HasField(field.name)
    return getattr(message, field.name) != field.default_value


def _update_mask_paths(message: Message) -> set[str] | None:
    """The paths of an update request's field mask, or None when the request has none."""
    descriptor: Descriptor = message.DESCRIPTOR
    field = descriptor.fields_by_name.get("update_mask")
    if field is None or field.message_type.full_name != "google.protobuf.FieldMask":
        return None
    return set(message.update_mask.paths)


def missing_required(message: Message, prefix: str = "", only: set[str] | None = None) -> list[FieldViolation]:
    """Violations for every REQUIRED field left empty, recursing into set sub-messages.

    Inside an update request only the resource's fields named by the update mask are
    required: a PATCH that leaves a required field alone keeps its stored value.
    """
    violations: list[FieldViolation] = []
    mask = _update_mask_paths(message) if not prefix else None
    for field in message.DESCRIPTOR.fields:
        path = f"{prefix}{field.name}"
        if only is not None and field.name not in only:
            continue
        if _is_required(field) and not _is_set(message, field):
            violations.append(FieldViolation(path, "is required"))
            continue
        if (
            field.type == FieldDescriptor.TYPE_MESSAGE
            and not field.is_repeated
            and not field.message_type.GetOptions().map_entry
            and field.message_type.full_name.startswith("marketplace.")
            and message.HasField(field.name)
        ):
            nested_only = mask if mask is not None and field.name != "update_mask" else None
            violations += missing_required(getattr(message, field.name), f"{path}.", nested_only)
    return violations


def check_required(message: Message) -> None:
    violations = missing_required(message)
    if violations:
        raise InvalidArgument(violations)
