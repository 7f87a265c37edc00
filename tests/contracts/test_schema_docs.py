"""Each service's schema diagram matches its models."""

import importlib

import pytest

from messaging.models import Base as MessagingBase
from servicekit.config import CONTEXTS
from servicekit.erd import document, mermaid, path_of


@pytest.mark.parametrize("service", CONTEXTS)
def test_schema_diagram_is_current(service):
    spec = importlib.import_module(f"{service}.app").SPEC
    assert path_of(spec.root).read_text() == document(service, spec.outbox.metadata), "run `make docs`"


def test_the_diagram_shows_tables_keys_and_relations():
    diagram = mermaid(MessagingBase.metadata)
    assert "    messages {" in diagram
    assert "uuid conversation_id FK" in diagram
    assert 'conversations ||--o{ messages : "conversation_id"' in diagram
