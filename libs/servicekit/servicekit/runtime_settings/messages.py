"""GetSettings and UpdateSettings, the same in every context: the Settings message and its changes."""

from typing import Any

from google.protobuf import json_format, struct_pb2

from marketplace.common.v1 import settings_pb2
from servicekit import enums
from servicekit.auth import Caller
from servicekit.convert import timestamp
from servicekit.errors import FieldViolation, InvalidArgument
from servicekit.runtime_settings.declarations import Declaration, SettingType, decode, encode
from servicekit.runtime_settings.store import DEFAULT, SettingsStore

MAPS = ("values", "flags")


def _value(raw: Any) -> struct_pb2.Value:
    return json_format.ParseDict(raw, struct_pb2.Value())


def definition_to_proto(declaration: Declaration) -> settings_pb2.SettingDefinition:
    def bound(value: Any) -> struct_pb2.Value | None:
        if value is None:
            return None
        return _value(value) if declaration.type is SettingType.STRING else _value(encode(declaration, value))

    return settings_pb2.SettingDefinition(
        name=declaration.name,
        type=enums.to_proto(settings_pb2.SettingType, declaration.type),
        description=declaration.description,
        default_value=_value(encode(declaration, declaration.default)),
        minimum=bound(declaration.minimum),
        maximum=bound(declaration.maximum),
        allowed_values=[member.value for member in declaration.choices or ()],
    )


def settings_to_proto(store: SettingsStore) -> settings_pb2.Settings:
    snapshot = store.snapshot
    declarations = store.defaults.declarations()
    result = settings_pb2.Settings(
        definitions=[definition_to_proto(declaration) for declaration in declarations.values()],
        update_time=timestamp(snapshot.update_time),
    )
    for name, declaration in declarations.items():
        raw = encode(declaration, getattr(snapshot.values, name))
        if declaration.type is SettingType.FLAG:
            result.flags[name].CopyFrom(settings_pb2.FeatureFlag(**raw))
        else:
            result.values[name].CopyFrom(_value(raw))
    return result


def _named(
    request: settings_pb2.UpdateSettingsRequest, violations: list[FieldViolation]
) -> dict[tuple[str, str], None]:
    """The (map, name) of every setting the mask names, in order; without a mask, every one sent."""
    named: dict[tuple[str, str], None] = {}
    for path in request.update_mask.paths or MAPS:
        map_name, _, name = path.partition(".")
        if map_name not in MAPS:
            violations.append(
                FieldViolation("update_mask", f"{path!r} names no setting: values.<name> or flags.<name>")
            )
            continue
        for each in [name] if name else getattr(request.settings, map_name):
            named[map_name, each] = None
    return named


def _sent(message: struct_pb2.Value | settings_pb2.FeatureFlag) -> Any:
    """What was sent, as JSON; a Value without a kind is null."""
    if isinstance(message, struct_pb2.Value) and message.WhichOneof("kind") is None:
        return None
    return json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


def changes_from_proto(store: SettingsStore, request: settings_pb2.UpdateSettingsRequest) -> dict[str, Any]:
    """The new value of each setting named (DEFAULT for one named but not sent); every problem at once."""
    declarations = store.defaults.declarations()
    violations: list[FieldViolation] = []
    changes: dict[str, Any] = {}
    for map_name, name in _named(request, violations):
        field = f"settings.{map_name}.{name}"
        declaration = declarations.get(name)
        if declaration is None:
            violations.append(FieldViolation(field, f"is not a setting of {store.service}"))
            continue
        if (declaration.type is SettingType.FLAG) != (map_name == "flags"):
            where = "flags" if declaration.type is SettingType.FLAG else "values"
            violations.append(FieldViolation(field, f"is a {declaration.type.value} setting: change it in {where}"))
            continue
        sent = getattr(request.settings, map_name)
        if name not in sent:
            changes[name] = DEFAULT
        elif (value := decode(declaration, _sent(sent[name]), field, violations)) is not None:
            changes[name] = value
    if violations:
        raise InvalidArgument(violations)
    return changes


async def get_settings(store: SettingsStore, caller: Caller) -> settings_pb2.Settings:
    caller.require_admin()
    return settings_to_proto(store)


async def update_settings(
    store: SettingsStore, caller: Caller, request: settings_pb2.UpdateSettingsRequest
) -> settings_pb2.Settings:
    caller.require_admin()
    await store.change(changes_from_proto(store, request))
    return settings_to_proto(store)
