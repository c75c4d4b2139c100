"""Outgoing e-mail: the outbox (written in the caller's transaction), SMTP delivery with retries."""
