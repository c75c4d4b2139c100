"""The Flask app, the Twilio webhooks and the call flows of 800 840 840."""

from ivr.app import create_app

__all__ = ["create_app"]
