"""Privacy by design: whom a request is about, what the service holds on them, retention and erasure."""
