"""Every model of the service, imported so that the metadata knows them all."""

from storage.models.base import Base
from storage.models.callbacks import CallbackRequest
from storage.models.calls import Call
from storage.models.hours import HoursClosure, HoursExtension, HoursScheduleVersion
from storage.models.tickets import Ticket, TicketStatusChange

__all__ = [
    "Base",
    "Call",
    "CallbackRequest",
    "HoursClosure",
    "HoursExtension",
    "HoursScheduleVersion",
    "Ticket",
    "TicketStatusChange",
]
