"""What open console pages poll: /console/live (ETag, 304 while nothing changed) and the list's rows.

/console/callbacks/live answers only the counts and the rows of the list (the same partial
templates as the page) and keeps what it rendered for the current live tag: however many
consoles refresh the same list after a change, each worker renders it once.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import Any

from flask import Response, abort, current_app, g, jsonify, render_template, request

from access.accounts import Role
from console.formatting import zone
from console.live import my_presence, personal_json, personal_tag, polled_live_state
from console.security import reading, requires
from console.web import blueprint
from contact_center.runtime import current_runtime
from contact_center.services import rest_client
from tickets.status import Topic
from voicemail import worklist
from voicemail.errors import BadFilter
from voicemail.worklist import Cursor

TOPICS = tuple(topic.value for topic in Topic)
KEPT_RENDERINGS = 32
RenderingKey = tuple[str, tuple[tuple[str, str], ...]]


class _Renderings:
    """The latest renderings of the list's rows, by live tag and query (one store per app)."""

    def __init__(self) -> None:
        self.lock = Lock()
        self.kept: OrderedDict[RenderingKey, str] = OrderedDict()

    def get(self, key: RenderingKey) -> str | None:
        with self.lock:
            return self.kept.get(key)

    def keep(self, key: RenderingKey, html: str) -> None:
        with self.lock:
            self.kept[key] = html
            while len(self.kept) > KEPT_RENDERINGS:
                self.kept.popitem(last=False)


def _renderings() -> _Renderings:
    store = current_app.extensions.get("console_live_renderings")
    if store is None:
        store = current_app.extensions.setdefault("console_live_renderings", _Renderings())
    return store  # type: ignore[no-any-return]


@blueprint.get("/live")
@requires(Role.OPERATOR)
def live() -> Response:
    """The counts, the badge, the newest message, the roster's mark and the operator's own call; 304 when unchanged.

    The shared part comes from this worker's reading; the operator's own state and call are read
    for each poll, so one operator's call never reaches another's console.
    """
    state = polled_live_state()
    mine = my_presence()
    tag = personal_tag(state.tag, mine)
    if request.if_none_match.contains(tag):
        response = Response(status=304)
    else:
        response = jsonify({**state.as_json(), "me": personal_json(mine)})
    response.set_etag(tag)
    return response


@blueprint.get("/live/me")
@requires(Role.OPERATOR)
def live_me() -> Any:
    """The header's presence form and the call box, alone, for an open page to swap in when they change."""
    return render_template("console/_my_status.html")


@blueprint.get("/callbacks/live")
@requires(Role.OPERATOR)
def callbacks_live() -> Any:
    """The list's counts and rows for the same filters as the page (no layout), for the open list to swap in."""
    args = request.args.to_dict()
    state = polled_live_state()
    operator = g.account.name  # "Mie" (its count and its rows) is each operator's own
    key = (state.tag, operator, tuple(sorted(args.items())))
    store = _renderings()
    html = store.get(key)
    if html is None:
        settings = current_runtime().settings
        try:
            filters = worklist.parse_filters(args, TOPICS, operator=operator,
                                             code_length=settings.tickets.accepted_code_lengths)
            after = Cursor.decode(args["after"]) if args.get("after") else None
        except BadFilter:
            abort(400)
        now = current_runtime().clock()
        with reading() as db:
            page = worklist.page(db, filters, now, zone(), settings.console.page_size, after)
            mine = worklist.counts(db, now, operator=operator)[worklist.MINE]
        html = render_template("console/callbacks_live.html", counts={**state.counts, worklist.MINE: mine},
                               page=page, filters=filters, now=now, views=(*worklist.VIEWS, worklist.MINE),
                               first_page=after is None, can_fetch=rest_client(settings).configured)
        store.keep(key, html)
    response = Response(html, mimetype="text/html")
    response.set_etag(state.tag)
    return response
