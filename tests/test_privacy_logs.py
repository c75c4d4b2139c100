"""No log holds a phone number or an e-mail address in clear: nginx's access log of the shipped site.

(The service's own lines are checked over a whole run in tests/test_privacy_requests_e2e.py.)
"""

from __future__ import annotations

import re

from bench.nginx import SITE

QUERY_VARIABLES = re.compile(r"\$(request|request_uri|args|query_string|arg_\w+|request_body)\b")


def test_the_shipped_site_logs_paths_without_their_query_strings() -> None:
    site = SITE.read_text("utf-8")
    formats = dict(re.findall(r"^log_format (\S+) ((?:'[^']*'\s*)+);", site, re.MULTILINE))
    assert set(formats) == {"contact_center_private"}
    assert "$uri" in formats["contact_center_private"]
    assert QUERY_VARIABLES.findall(formats["contact_center_private"]) == []
    servers = site.split("\nserver {")[1:]
    assert len(servers) == 2
    for server in servers:
        logs = re.findall(r"^ +access_log (.+);$", server, re.MULTILINE)
        assert logs and all(log == "off" or log.endswith(" contact_center_private") for log in logs), logs


def test_a_typed_number_in_an_action_url_is_not_in_what_the_format_writes() -> None:
    fields = re.findall(r"\$(\w+)", " ".join(re.findall(r"'([^']*)'", SITE.read_text("utf-8").split(
        "log_format contact_center_private", 1)[1].split(";", 1)[0])))
    request = {"uri": "/voice/message/record", "request_uri": "/voice/message/record?number=%2B393331234567",
               "args": "number=%2B393331234567"}
    written = " ".join(request.get(field, field) for field in fields)
    assert "393331234567" not in written and "/voice/message/record" in written
