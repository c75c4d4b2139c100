"""The client's network address, as every face counts it: the peer, or what our trusted proxies saw."""

from __future__ import annotations

from flask import request


def client_address(trusted_proxy_hops: int) -> str:
    """The client's address: the peer, or the one our `trusted_proxy_hops` proxies saw in X-Forwarded-For."""
    peer = request.remote_addr or "unknown"
    if trusted_proxy_hops < 1:
        return peer
    chain = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
    if not chain:
        return peer
    return chain[-min(trusted_proxy_hops, len(chain))]
