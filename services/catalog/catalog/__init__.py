"""The catalog context: what can be traded, and the items people own."""
