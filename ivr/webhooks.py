"""The Twilio webhook blueprint: validate, hand the call to its flow step, render TwiML.

A caller is never cut off by our error: whatever goes wrong inside a step, the answer is
HTTP 200 with TwiML that apologises and records a message.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Callable
from functools import cache

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

import ivr.flows
from contact_center.durable import DATABASE_DOWN
from contact_center.runtime import Runtime, current_runtime
from ivr.flows import fallback
from ivr.flows.context import CallContext
from ivr.signature import is_signed_by_twilio
from ivr.twiml import Speaker, render

log = logging.getLogger(__name__)

Step = Callable[[CallContext], VoiceResponse]
VALIDATOR = "twilio_validator"
APOLOGY_FLAG = "voice_apology"  # set on `g` when a step failed and the caller heard the apology



@cache
def flow_steps() -> dict[str, Step]:
    """Every flow module's ROUTES: one call-flow step per module in ivr/flows/."""
    steps: dict[str, Step] = {}
    for module_info in pkgutil.iter_modules(ivr.flows.__path__):
        module = importlib.import_module(f"ivr.flows.{module_info.name}")
        for path, step in getattr(module, "ROUTES", {}).items():
            if path in steps:
                raise RuntimeError(f"two flow steps answer {path}")
            steps[path] = step
    return steps



def _check_signature(rt: Runtime) -> None:
    if rt.settings.development.skip_signature_check:
        return
    validator = current_app.extensions[VALIDATOR]
    web = rt.settings.web
    if not is_signed_by_twilio(request, validator, web.public_base_url, web.fallback_base_url):
        log.warning("refused unsigned or wrongly signed webhook %s", request.path)
        abort(403)


def _answer(step: Step) -> Response:
    rt = current_runtime()
    _check_signature(rt)
    speaker = Speaker(rt.settings, rt.prompts)
    ctx = CallContext(runtime=rt, params=request.form, args=request.args, speaker=speaker,
                      origin=rt.settings.web.public_base_url or request.host_url.rstrip("/"))
    try:
        return render(step(ctx))
    except DATABASE_DOWN as exc:
        log.warning("voice webhook %s: database unavailable (%s); taking a message instead",
                    request.path, exc.__class__.__name__)
    except Exception:
        log.exception("voice webhook %s failed for call %s; taking a message instead",
                      request.path, ctx.call_sid)
    finally:
        ctx.close()
    g.setdefault(APOLOGY_FLAG, True)
    return render(fallback.apology(speaker))


def init_app(app: Flask) -> None:
    """Serve every flow step under /voice/, each webhook checked against Twilio's signature."""
    app.extensions[VALIDATOR] = RequestValidator(current_runtime(app).auth_token)
    app.register_blueprint(make_blueprint())


def make_blueprint() -> Blueprint:
    """A blueprint with one POST route per flow step."""
    blueprint = Blueprint("voice", __name__)
    for path, step in flow_steps().items():
        endpoint = path.strip("/").replace("/", "_").replace("-", "_")
        blueprint.add_url_rule(path, endpoint, _bind(step), methods=["POST"])
    return blueprint


def _bind(step: Step) -> Callable[[], Response]:
    def view() -> Response:
        return _answer(step)
    view.__doc__ = step.__doc__
    return view

