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
from urllib.parse import parse_qs, urlsplit

from flask import Blueprint, Flask, Request, Response, abort, current_app, g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

import ivr.flows
from contact_center.durable import DATABASE_DOWN
from contact_center.prompts import HOME_LANGUAGE, LANGUAGES
from contact_center.runtime import Runtime, current_runtime
from ivr.flows import fallback, welcome
from ivr.flows.context import CallContext
from ivr.signature import is_signed_by_twilio
from ivr.twiml import LANGUAGE_ARG, Speaker, render
from voicemail.numbers import caller_region

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



def _check_signature(rt: Runtime, req: Request, validator: RequestValidator) -> None:
    if rt.settings.development.skip_signature_check:
        return
    web = rt.settings.web
    if not is_signed_by_twilio(req, validator, web.public_base_url, web.fallback_base_url):
        log.warning("refused unsigned or wrongly signed webhook %s", req.path)
        abort(403)


def caller_language(rt: Runtime, caller_id: str) -> str:
    """The language a call starts in: English for a foreign number, Italian for +39 and withheld ones."""
    line = rt.settings.line
    region = caller_region(caller_id)
    if not line.foreign_callers_in_english or region is None or region in line.home_regions:
        return HOME_LANGUAGE
    return "en"


def _language(rt: Runtime, req: Request) -> str:
    """The call's language: our URL's `lang`; the caller's number on the first document (and on a
    fallback for it); for a fallback, the `lang` of the URL that failed."""
    chosen = req.args.get(LANGUAGE_ARG, "")
    if chosen in LANGUAGES:
        return chosen
    failed = urlsplit(req.form.get("ErrorUrl", "")) if req.path == fallback.PATH else None
    if failed is not None and failed.path not in ("", welcome.PATH):
        chosen = parse_qs(failed.query).get(LANGUAGE_ARG, [HOME_LANGUAGE])[0]
        return chosen if chosen in LANGUAGES else HOME_LANGUAGE
    if req.path in (welcome.PATH, fallback.PATH):
        return caller_language(rt, req.form.get("From", ""))
    return HOME_LANGUAGE


def _answer(step: Step) -> Response:
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # each proxy once per request
    req = request._get_current_object()  # type: ignore[attr-defined]
    rt = current_runtime(app)
    _check_signature(rt, req, app.extensions[VALIDATOR])
    language = _language(rt, req)
    speaker = Speaker(rt.settings, rt.prompts_in(language))
    ctx = CallContext(runtime=rt, params=req.form, args=req.args, speaker=speaker, language=language,
                      origin=rt.settings.web.public_base_url or req.host_url.rstrip("/"))
    try:
        return render(step(ctx))
    except DATABASE_DOWN as exc:
        log.warning("voice webhook %s: database unavailable (%s); taking a message instead",
                    req.path, exc.__class__.__name__)
    except Exception:
        log.exception("voice webhook %s failed for call %s; taking a message instead",
                      req.path, ctx.call_sid)
    finally:
        ctx.close()
    g.setdefault(APOLOGY_FLAG, True)
    return render(fallback.apology(speaker, language))


WEBHOOK_PREFIX = "/voice/"


class SessionsOutsideWebhooks(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, for every page but Twilio's webhooks.

    Twilio sends no cookie and keeps none: a webhook gets Flask's null session, without
    building the signing serializer and reading a cookie on every step of every call.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(WEBHOOK_PREFIX):
            return None  # Flask then uses make_null_session(): readable, empty, never saved
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    """Serve every flow step under /voice/, each webhook checked against Twilio's signature."""
    app.extensions[VALIDATOR] = RequestValidator(current_runtime(app).auth_token)
    app.session_interface = SessionsOutsideWebhooks()
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

