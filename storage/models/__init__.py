"""Every model of the service, imported so that the metadata knows them all."""

from storage.models.access import ApiToken
from storage.models.address_limits import AddressCounter
from storage.models.agents import Agent, AgentPresenceChange, AgentTopic, QueuedCall
from storage.models.base import Base
from storage.models.callbacks import CallbackAttempt, CallbackMessage, CallbackRequest
from storage.models.calls import Call
from storage.models.console import AuditEntry, ConsoleAccount, SignInFailure
from storage.models.events import EmergencyEvent
from storage.models.hours import HoursClosure, HoursExtension, HoursScheduleVersion
from storage.models.lookup_failures import LookupFailure
from storage.models.mail import OutboxMail
from storage.models.tickets import Ticket, TicketStatusChange
from storage.models.written import TicketReply, WrittenSubmission

__all__ = [
    "AddressCounter",
    "Agent",
    "AgentPresenceChange",
    "AgentTopic",
    "ApiToken",
    "AuditEntry",
    "Base",
    "Call",
    "CallbackAttempt",
    "CallbackMessage",
    "CallbackRequest",
    "ConsoleAccount",
    "EmergencyEvent",
    "HoursClosure",
    "HoursExtension",
    "HoursScheduleVersion",
    "LookupFailure",
    "OutboxMail",
    "QueuedCall",
    "SignInFailure",
    "Ticket",
    "TicketReply",
    "TicketStatusChange",
    "WrittenSubmission",
]
