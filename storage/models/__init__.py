"""Every model of the service, imported so that the metadata knows them all."""

from storage.models.agents import Agent, AgentPresenceChange, AgentTopic, QueuedCall
from storage.models.base import Base
from storage.models.callbacks import CallbackAttempt, CallbackMessage, CallbackRequest
from storage.models.calls import Call
from storage.models.hours import HoursClosure, HoursExtension, HoursScheduleVersion
from storage.models.tickets import Ticket, TicketStatusChange

__all__ = [
    "Agent",
    "AgentPresenceChange",
    "AgentTopic",
    "Base",
    "Call",
    "CallbackAttempt",
    "CallbackMessage",
    "CallbackRequest",
    "HoursClosure",
    "HoursExtension",
    "HoursScheduleVersion",
    "QueuedCall",
    "Ticket",
    "TicketStatusChange",
]
