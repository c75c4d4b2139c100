"""/console/live: the small JSON the open console pages poll (ETag, 304 while nothing changed)."""

from __future__ import annotations

from flask import Response, jsonify, request

from access.accounts import Role
from console.live import live_state
from console.security import requires
from console.web import blueprint


@blueprint.get("/live")
@requires(Role.OPERATOR)
def live() -> Response:
    """The counts, the badge, the newest message and the roster's mark; 304 when the tag matches."""
    state = live_state()
    response = Response(status=304) if request.if_none_match.contains(state.tag) else jsonify(state.as_json())
    response.set_etag(state.tag)
    return response
