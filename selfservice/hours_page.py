"""The published opening hours: `GET /hours` (JSON, or the HTML page for `Accept: text/html`), `GET /hours.html`.

Thin: read the live timetable, publish it with `hours.published_timetable`, render. Any site may
read it (`Access-Control-Allow-Origin: *`); caches keep it a minute, then revalidate with a weak
ETag computed on everything but the generation time, so a 304 answers until something changes.
When the schedule cannot be read the answer is 503 with Retry-After, never a stale guess.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

from flask import Blueprint, Response, current_app, render_template, request
from sqlalchemy.exc import SQLAlchemyError

from contact_center.hours_publication import line_names, page_context, publish
from contact_center.runtime import Runtime, current_runtime
from hours import HoursError

MAX_AGE_SECONDS: Final = 60
RETRY_AFTER_SECONDS: Final = 60
JSON_TYPE: Final = "application/json"
HTML_TYPE: Final = "text/html"
_UNVERSIONED_KEYS: Final = frozenset({"generated_at"})


def make_blueprint() -> Blueprint:
    """The /hours routes."""
    blueprint = Blueprint("hours", __name__, template_folder="templates")
    blueprint.add_url_rule("/hours", "timetable", timetable)
    blueprint.add_url_rule("/hours.html", "page", page)
    blueprint.after_request(_public)
    return blueprint


def timetable() -> Response:
    """The published timetable as JSON, or as the page when the client prefers HTML."""
    wants_html = request.accept_mimetypes.best_match([JSON_TYPE, HTML_TYPE]) == HTML_TYPE
    response = _answer(as_html=wants_html)
    response.vary.add("Accept")
    return response


def page() -> Response:
    """The published timetable as a small accessible Italian page."""
    return _answer(as_html=True)



def _answer(as_html: bool) -> Response:
    """The representation asked for, with CORS and cache headers, 304 when the client's copy is current."""
    runtime = current_runtime()
    try:
        publication = publish(runtime)
    except (SQLAlchemyError, HoursError):
        current_app.logger.warning("GET %s: the opening hours cannot be read", request.path, exc_info=True)
        return _unavailable(runtime, as_html)
    if as_html:
        response = Response(render_template("hours/page.html", **page_context(runtime, publication)),
                            mimetype=HTML_TYPE)
    else:
        response = Response(json.dumps(publication.document, ensure_ascii=False), mimetype=JSON_TYPE)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE_SECONDS}"
    representation = f"html-{publication.now.astimezone(publication.timetable.zone):%Y%m%d}" if as_html else "json"
    response.set_etag(_etag(publication.document, representation), weak=True)
    return response.make_conditional(request)


def _etag(document: Mapping[str, Any], representation: str) -> str:
    """A tag that changes with the published content, not with the generation time.

    The page's tag also names the local day: the page says "oggi" and "domani".
    """
    content = {key: value for key, value in document.items() if key not in _UNVERSIONED_KEYS}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:32]
    return f"{representation}-{digest}"


def _public(response: Response) -> Response:
    """Readable by scripts on any site (every answer of the blueprint, 304 and 503 included)."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _unavailable(runtime: Runtime, as_html: bool) -> Response:
    """503: the schedule cannot be read now; try again in a minute."""
    if as_html:
        response = Response(render_template("hours/page.html", **line_names(runtime), unavailable=True),
                            status=503, mimetype=HTML_TYPE)
    else:
        response = Response(json.dumps({"error": "schedule_unavailable",
                                        "message": "the opening hours cannot be read now; retry later"}),
                            status=503, mimetype=JSON_TYPE)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response
