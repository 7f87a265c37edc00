"""Which search backend trading runs with: PostgreSQL unless ELASTICSEARCH_URL is set."""

from trading.config import TradingSettings


def test_elasticsearch_url_is_read_from_the_environment(monkeypatch):
    monkeypatch.delenv("ELASTICSEARCH_URL", raising=False)
    assert TradingSettings.own_from_env()["elasticsearch_url"] == ""
    monkeypatch.setenv("ELASTICSEARCH_URL", "http://127.0.0.1:9200")
    assert TradingSettings.own_from_env()["elasticsearch_url"] == "http://127.0.0.1:9200"
