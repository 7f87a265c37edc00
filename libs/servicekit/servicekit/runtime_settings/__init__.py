"""Runtime settings and feature flags: declared in each context's code, stored in its own database,
changed by its admins (GetSettings, UpdateSettings), audited, and seen by every replica within a second.

Not to be confused with servicekit.config, the settings a process reads from its environment at start.

- declarations: how a context declares its settings (RuntimeSettings, setting, Flag) and checks values;
- store: the table, the values in memory, their propagation (LISTEN/NOTIFY) and their changes;
- messages: the Settings message of every context's GetSettings and UpdateSettings.
"""

from servicekit.runtime_settings.declarations import OFF, ON, Flag, RuntimeSettings, setting
from servicekit.runtime_settings.store import RuntimeSettingMixin, SettingsStore

__all__ = ["OFF", "ON", "Flag", "RuntimeSettingMixin", "RuntimeSettings", "SettingsStore", "setting"]
