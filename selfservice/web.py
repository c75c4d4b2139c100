"""What the blueprints share: the client's address (contact_center.clients)."""

from __future__ import annotations

from contact_center.clients import client_address

__all__ = ["client_address"]
