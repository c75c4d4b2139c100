"""The console's pages: each module adds its routes to the console blueprint."""

from console.views import accounts, auth, tickets, today

__all__ = ["accounts", "auth", "tickets", "today"]
