"""The settings of messaging: the kit's, and those of its own, read from the environment once."""

from dataclasses import dataclass
from typing import Any

from servicekit.config import Settings, env_number


@dataclass(frozen=True)
class MessagingSettings(Settings):
    # How long the per-user log keeps live events for streams that reconnect (Last-Event-ID).
    user_event_retention_hours: float = 24.0
    # How often the log's events past their retention are deleted.
    user_event_prune_seconds: float = 60.0
    # How often a stream reads its user's log without being woken: what it misses of notifications (a listening
    # connection being replaced) it finds then.
    stream_reread_seconds: float = 10.0

    @classmethod
    def own_from_env(cls) -> dict[str, Any]:
        return {
            "user_event_retention_hours": env_number(
                "USER_EVENT_RETENTION_HOURS", cls.user_event_retention_hours, 0.001
            ),
            "user_event_prune_seconds": env_number("USER_EVENT_PRUNE_SECONDS", cls.user_event_prune_seconds, 0.1),
            "stream_reread_seconds": env_number("STREAM_REREAD_SECONDS", cls.stream_reread_seconds, 0.1),
        }
