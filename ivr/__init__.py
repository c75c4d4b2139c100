"""The voice face: Twilio webhooks, one call-flow step per module in `ivr.flows`, TwiML rendering."""

from ivr.webhooks import init_app

__all__ = ["init_app"]
