"""Every model of the service, imported so that the metadata knows them all."""

from storage.models.base import Base
from storage.models.callbacks import CallbackAttempt, CallbackMessage, CallbackRequest
from storage.models.calls import Call
from storage.models.hours import HoursClosure, HoursExtension, HoursScheduleVersion
from storage.models.tickets import Ticket, TicketStatusChange

__all__ = [
    "Base",
    "Call",
    "CallbackAttempt",
    "CallbackMessage",
    "CallbackRequest",
    "HoursClosure",
    "HoursExtension",
    "HoursScheduleVersion",
    "Ticket",
    "TicketStatusChange",
]
