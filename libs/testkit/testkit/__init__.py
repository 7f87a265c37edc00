"""Test support for the marketplace: real PostgreSQL, real servers, no mocks."""
