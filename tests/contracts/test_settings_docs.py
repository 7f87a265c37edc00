"""Every runtime setting a context declares is in the README's table, with its type and default."""

import importlib
import re

import pytest

from devstack.paths import ROOT
from servicekit.config import CONTEXTS
from servicekit.runtime_settings.declarations import SettingType, encode

ROW = re.compile(r"^\| (\w+) \| `(\w+)` \| (\w+) \| ([^|]+) \|", re.MULTILINE)


def documented() -> dict[tuple[str, str], tuple[str, str]]:
    """(context, setting) -> (type, default) from the README's table."""
    readme = (ROOT / "README.md").read_text()
    return {(context, name): (kind, default.strip()) for context, name, kind, default in ROW.findall(readme)}


@pytest.mark.parametrize("context", CONTEXTS)
def test_the_readme_lists_each_runtime_setting_with_its_type_and_default(context):
    declarations = importlib.import_module(f"{context}.app").SPEC.runtime_settings.declarations()
    rows = {name: row for (owner, name), row in documented().items() if owner == context}
    assert set(rows) == set(declarations), "the README's runtime settings table"
    for name, declaration in declarations.items():
        kind, default = rows[name]
        assert kind == declaration.type.value
        if declaration.type is SettingType.FLAG:
            assert default == ("on" if declaration.default.enabled else "off")
        else:
            assert default.startswith(str(encode(declaration, declaration.default)).lower()), name
