"""Each service's schema diagram matches its models."""

import pytest

from devstack.erd import document, mermaid, path_of
from devstack.paths import SERVICES
from messaging.models import Base as MessagingBase


@pytest.mark.parametrize("service", SERVICES)
def test_schema_diagram_is_current(service):
    assert path_of(service).read_text() == document(service), "run `make docs`"


def test_the_diagram_shows_tables_keys_and_relations():
    diagram = mermaid(MessagingBase.metadata)
    assert "    messages {" in diagram
    assert "uuid conversation_id FK" in diagram
    assert 'conversations ||--o{ messages : "conversation_id"' in diagram
