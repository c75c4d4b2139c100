"""The console's pages: each module adds its routes to the console blueprint."""

from console.views import accounts, auth, callbacks, events, live, media, presence, privacy, settings, tickets, today

__all__ = ["accounts", "auth", "callbacks", "events", "live", "media", "presence", "privacy", "settings", "tickets",
           "today"]
