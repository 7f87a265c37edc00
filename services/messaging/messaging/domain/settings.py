"""Messaging's runtime settings: what its admins tune while it runs."""

from dataclasses import dataclass

from servicekit.runtime_settings import ON, Flag, RuntimeSettings, setting


@dataclass(frozen=True)
class MessagingRuntimeSettings(RuntimeSettings):
    """What messaging's admins tune while it runs (GET|PATCH /v1/messaging/settings)."""

    max_message_length: int = setting(4000, "The most characters a message's text may have.", minimum=1, maximum=20_000)
    images_enabled: Flag = setting(ON, "Users may send images in conversations.")
