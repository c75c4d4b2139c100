"""Twilio's webhooks: validate, hand the call to its flow step, answer TwiML.

A caller is never cut off by our error: whatever goes wrong while a signed webhook is answered,
the answer is HTTP 200 with TwiML that apologises and records a message.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from http import HTTPStatus
from typing import TYPE_CHECKING, cast
from urllib.parse import parse_qs, urlsplit

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import Forbidden, HTTPException, MethodNotAllowed

import ivr.flows
from contact_center.durable import DATABASE_DOWN
from contact_center.prompts import HOME_LANGUAGE, LANGUAGES
from contact_center.runtime import Runtime, current_runtime
from ivr.flows import fallback, welcome
from ivr.flows.context import CallContext
from ivr.signature import is_signed_by_twilio
from ivr.twiml import LANGUAGE_ARG, Speaker, document
from voicemail.numbers import is_home_caller

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

Step = Callable[[CallContext], VoiceResponse]
EXTENSION = "voice_webhooks"  # the app's VoiceWebhooks, in app.extensions


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


def caller_language(rt: Runtime, caller_id: str) -> str:
    """The language a call starts in: English for a foreign number, Italian for +39 and withheld ones."""
    line = rt.settings.line
    if not line.foreign_callers_in_english or is_home_caller(caller_id, line.home_region_set):
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


@dataclass(frozen=True)
class Answer:
    """What a webhook answered: its HTTP status, headers and body, and whether the step failed
    and the caller heard the apology instead."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    apologised: bool = False


Observer = Callable[[str, str, Callable[[], Answer]], Answer]
"""Times, counts and logs one webhook: (its route, its CallSid, the answer to make) -> the answer."""


def _unobserved(_route: str, _call_sid: str, answer: Callable[[], Answer]) -> Answer:
    return answer()


class VoiceWebhooks:
    """The WSGI application of Twilio's webhooks, in front of Flask, which serves every other path.

    Twilio posts a urlencoded form, wants TwiML back and keeps no cookie: Flask's application
    and request contexts, URL matching, hooks and response object have nothing to do for it, and
    cost 0.1 ms of CPU a webhook, half of what a step that reads no database costs in all
    (measured in process, A/B). Each POST to a step's path is checked against Twilio's signature
    and answered here; any other method gets 405, a body over the limit 413 (werkzeug's pages).
    `observe` (contact_center.observability's) times, counts and logs every answer.
    """

    def __init__(self, app: Flask, others: WSGIApplication) -> None:
        self.runtime = current_runtime(app)
        self.others = others
        self.steps = flow_steps()
        self.request_class = app.request_class
        self.validator = RequestValidator(self.runtime.auth_token)
        self.observe: Observer = _unobserved
        hsts = self.runtime.settings.web.strict_transport_security  # as Flask's pages carry it
        self.twiml_headers = [("Content-Type", "text/xml; charset=utf-8")] + (
            [("Strict-Transport-Security", hsts)] if hsts else [])

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        route = environ.get("PATH_INFO", "")
        step = self.steps.get(route)
        if step is None:
            return self.others(environ, start_response)
        if environ.get("REQUEST_METHOD") != "POST":
            return MethodNotAllowed(valid_methods=["POST"])(environ, start_response)
        request = self.request_class(environ)
        try:
            call_sid = request.form.get("CallSid", "")[:64]
        except HTTPException as refused:  # a body over the limit (413), or shorter than declared (400)
            error = _http_error(refused, environ)
            answer = self.observe(route, "", lambda: error)
        else:
            answer = self.observe(route, call_sid, lambda: self.answer(step, request, call_sid))
        start_response(f"{answer.status} {HTTPStatus(answer.status).phrase}",
                       [*answer.headers, ("Content-Length", str(len(answer.body)))])
        return [answer.body]

    def answer(self, step: Step, request: Request, call_sid: str) -> Answer:
        """The step's TwiML for a signed request; the apology if anything fails; 403 if unsigned."""
        rt = self.runtime
        web = rt.settings.web
        if not rt.settings.development.skip_signature_check and not is_signed_by_twilio(
                request, self.validator, web.public_base_url, web.fallback_base_url):
            log.warning("refused unsigned or wrongly signed webhook %s", request.path)
            return _http_error(Forbidden(), request.environ)
        language = HOME_LANGUAGE
        speaker: Speaker | None = None
        ctx: CallContext | None = None
        try:
            language = _language(rt, request)
            speaker = Speaker(rt.settings, rt.prompts_in(language))
            ctx = CallContext(runtime=rt, params=request.form, args=request.args, speaker=speaker,
                              language=language, origin=web.public_base_url or request.host_url.rstrip("/"))
            return Answer(200, self.twiml_headers, document(step(ctx)).encode())
        except DATABASE_DOWN as exc:
            log.warning("voice webhook %s: database unavailable (%s); taking a message instead",
                        request.path, exc.__class__.__name__)
        except Exception:
            log.exception("voice webhook %s failed for call %s; taking a message instead", request.path, call_sid)
        finally:
            if ctx is not None:
                ctx.close()
        speaker = speaker or Speaker(rt.settings, rt.prompts_in(language))
        return Answer(200, self.twiml_headers, document(fallback.apology(speaker, language)).encode(),
                      apologised=True)


def _http_error(error: HTTPException, environ: WSGIEnvironment) -> Answer:
    """werkzeug's page for an HTTP error."""
    response = error.get_response(environ)
    headers = [(name, value) for name, value in response.headers.to_wsgi_list() if name != "Content-Length"]
    return Answer(response.status_code, headers, response.get_data())


WEBHOOK_PREFIX = "/voice/"


class SessionsOutsideWebhooks(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, for every page but the paths of Twilio's webhooks.

    Twilio sends no cookie and keeps none: a request under /voice/ that reaches Flask (a path
    with no flow step) gets Flask's null session, without building the signing serializer.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(WEBHOOK_PREFIX):
            return None  # Flask then uses make_null_session(): readable, empty, never saved
        return super().open_session(app, request)


def webhooks_of(app: Flask) -> VoiceWebhooks:
    """The app's webhook application (set up by `init_app`)."""
    return cast(VoiceWebhooks, app.extensions[EXTENSION])


def init_app(app: Flask) -> VoiceWebhooks:
    """Answer every flow step's path in front of the app's WSGI application, each webhook checked
    against Twilio's signature; Flask keeps every other path (and its sessions off /voice/)."""
    app.session_interface = SessionsOutsideWebhooks()
    webhooks = VoiceWebhooks(app, app.wsgi_app)
    app.wsgi_app = webhooks  # type: ignore[method-assign]
    app.extensions[EXTENSION] = webhooks
    return webhooks
