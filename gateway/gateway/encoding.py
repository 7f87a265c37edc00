"""Proto messages to JSON: protobuf's canonical mapping with proto field names.

Fields without presence (scalars, repeated fields, maps) are always printed, so that a
zero balance reads `"amount_minor": "0"`, an empty page `"listings": []` and the last page
`"next_page_token": ""`. Fields with presence (messages, `optional` scalars, oneof members)
appear only when set, because their absence means something.
"""

import base64
import json
from typing import Any

from google.protobuf import any_pb2, json_format
from google.protobuf.message import Message


def message_to_dict(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(
        message,
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=True,
    )


def any_to_dict(packed: any_pb2.Any) -> dict[str, Any]:
    """An Any as JSON with "@type"; a type the gateway does not know keeps its bytes in base64."""
    try:
        return message_to_dict(packed)
    except TypeError:
        return {"@type": packed.type_url, "value": base64.b64encode(packed.value).decode()}


def compact_json(value: Any) -> str:
    """One line of JSON, as Server-Sent Events need."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
