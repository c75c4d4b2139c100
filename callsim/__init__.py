"""callsim: plays Twilio's part against a voice webhook app, for tests and by hand.

    sim = Simulator(WSGITransport(app), auth_token, "https://cc.example.org")
    call = sim.dial("+393471234567", script=[press("2"), record(10, "#")])
    assert call.errors == [] and "Grazie" in call.said()
"""

from callsim.call import Call
from callsim.engine import STOCK_ERROR_MESSAGE
from callsim.fake_api import FakeTwilioApi, RewritingHttpClient, twilio_client_for
from callsim.model import (
    CallError,
    CallLoopError,
    DialInfo,
    DialOutcome,
    DialTarget,
    Recording,
    RequestLog,
    SimulatorError,
)
from callsim.simulator import (
    Simulator,
    Step,
    advance_queue,
    bridge_from_queue,
    hang_up,
    press,
    record,
    silence,
)
from callsim.transport import HttpResponse, HTTPTransport, RoutingTransport, TransportError, WSGITransport

__all__ = [
    "STOCK_ERROR_MESSAGE",
    "Call",
    "CallError",
    "CallLoopError",
    "DialInfo",
    "DialOutcome",
    "DialTarget",
    "FakeTwilioApi",
    "HTTPTransport",
    "HttpResponse",
    "Recording",
    "RequestLog",
    "RewritingHttpClient",
    "RoutingTransport",
    "Simulator",
    "SimulatorError",
    "Step",
    "TransportError",
    "WSGITransport",
    "advance_queue",
    "bridge_from_queue",
    "hang_up",
    "press",
    "record",
    "silence",
    "twilio_client_for",
]
