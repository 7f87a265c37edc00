"""Changing a context's runtime settings in tests, and putting every one back to its default after."""

from google.protobuf import field_mask_pb2, json_format

from marketplace.common.v1 import settings_pb2


def settings_change(
    values: dict | None = None, flags: dict | None = None, *paths: str
) -> settings_pb2.UpdateSettingsRequest:
    """An UpdateSettings of the values and flags given as JSON; paths, when given, are its mask."""
    settings = json_format.ParseDict({"values": values or {}, "flags": flags or {}}, settings_pb2.Settings())
    return settings_pb2.UpdateSettingsRequest(settings=settings, update_mask=field_mask_pb2.FieldMask(paths=paths))


def plain_values(settings: settings_pb2.Settings) -> dict:
    """The values of a Settings message as JSON (durations as "3600s"), flags included."""
    as_json = json_format.MessageToDict(
        settings, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    return as_json["values"] | as_json["flags"]


async def reset_settings(stub, metadata) -> None:
    """Gives every setting of the stub's context back its default (a mask naming each, no values)."""
    current = await stub.GetSettings(settings_pb2.GetSettingsRequest(), metadata=metadata)
    paths = [
        f"{'flags' if definition.type == settings_pb2.SETTING_TYPE_FLAG else 'values'}.{definition.name}"
        for definition in current.definitions
    ]
    await stub.UpdateSettings(settings_change(None, None, *paths), metadata=metadata)
