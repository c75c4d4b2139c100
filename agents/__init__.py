"""Operators: the roster, their presence, reservation for a call, and the hold queue (no Flask)."""
