"""The app's request class parses forms and query strings exactly as werkzeug does."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest
from flask import Flask, Request
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.test import EnvironBuilder

from contact_center.requests import query_pairs, request_class

# Separators, escapes (valid, truncated, undecodable as UTF-8, an escaped "+" as phone numbers
# come, in either case), plus signs and accented letters.
QUERIES = st.lists(st.sampled_from([*"ab1=&+%2FfFcC3A9èé €;?#", "%E2%82%AC", "%FF", "%C3", "%2", "%2B", "%2b"]),
                   max_size=40).map("".join)


@settings(max_examples=800, deadline=None)
@given(QUERIES)
def test_query_pairs_are_what_parse_qsl_gives(query: str) -> None:
    assert query_pairs(query) == parse_qsl(query, keep_blank_values=True, errors="werkzeug.url_quote")


LIMIT = 4096  # the body limit the app sets (web.max_body_bytes), here small


def _app() -> Flask:
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=LIMIT, MAX_FORM_MEMORY_SIZE=LIMIT)
    return app


def _requests(body: bytes, query: str, content_type: str = "application/x-www-form-urlencoded"
              ) -> tuple[Request, Request]:
    def environ() -> dict[str, object]:
        return EnvironBuilder(path="/voice/incoming", query_string=query, method="POST", data=body,
                              content_type=content_type).get_environ()

    return request_class(_app())(environ()), Request(environ())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=12), st.text(max_size=20)), max_size=8), QUERIES)
def test_the_form_and_the_arguments_are_werkzeugs(fields: list[tuple[str, str]], query: str) -> None:
    with _app().app_context():
        ours, werkzeugs = _requests(urlencode(fields).encode(), query)
        assert list(ours.form.items(multi=True)) == list(werkzeugs.form.items(multi=True))
        assert list(ours.args.items(multi=True)) == list(werkzeugs.args.items(multi=True))


@pytest.mark.parametrize("query", ["From=%2B393471234567", "From=%2B39%20347", "From=%2b39", "From=%2B%2B1",
                                   "From=%2B", "From=1%2B2", "From=%2B39+347", "%2B=%2B1%FF"])
def test_an_escaped_plus_decodes_as_parse_qsl_decodes_it(query: str) -> None:
    assert query_pairs(query) == parse_qsl(query, keep_blank_values=True, errors="werkzeug.url_quote")


def test_a_twilio_form_with_escapes_and_a_repeated_name() -> None:
    body = b"CallSid=CA123&From=%2B393471234567&SpeechResult=s%C3%AC+grazie&Digits=&Digits=5&Bad=%FF"
    with _app().app_context():
        ours, _ = _requests(body, "reason=chosen&lang=en")
        assert ours.form.to_dict(flat=False) == {"CallSid": ["CA123"], "From": ["+393471234567"],
                                                 "SpeechResult": ["sì grazie"], "Digits": ["", "5"],
                                                 "Bad": ["%FF"]}
        assert ours.args.to_dict() == {"reason": "chosen", "lang": "en"}


def test_a_body_that_is_not_utf8_gives_an_empty_form_as_werkzeug_does() -> None:
    with _app().app_context():
        ours, werkzeugs = _requests(b"From=\xff\xfe", "")
        assert ours.form.to_dict() == werkzeugs.form.to_dict() == {}


def test_a_webhook_body_is_parsed_without_werkzeugs_form_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> None:
        raise AssertionError("werkzeug's form parser was used")

    with _app().app_context():
        ours, _ = _requests(b"CallSid=CA1&From=%2B393471234567", "", "Application/X-WWW-Form-Urlencoded; charset=UTF-8")
        monkeypatch.setattr(FormDataParser, "parse", refuse)
        assert ours.form.to_dict() == {"CallSid": "CA1", "From": "+393471234567"}
        assert ours.files.to_dict() == {} and ours.get_data() == b""


def test_a_declared_length_over_the_limit_is_refused_and_a_short_body_is_a_bad_request() -> None:
    with _app().app_context():
        too_large, _ = _requests(b"Digits=" + b"1" * LIMIT, "")
        with pytest.raises(RequestEntityTooLarge):
            _ = too_large.form
        short, _ = _requests(b"Digits=1", "")
        short.environ["CONTENT_LENGTH"] = "20"
        with pytest.raises(ClientDisconnected):
            _ = short.form


def test_other_bodies_are_parsed_as_werkzeug_does() -> None:
    with _app().app_context():
        for body, content_type in ((b'{"Digits": "1"}', "application/json"),
                                   (b"Digits=1", "text/plain"),
                                   (b"--b\r\nContent-Disposition: form-data; name=\"Digits\"\r\n\r\n1\r\n--b--\r\n",
                                    "multipart/form-data; boundary=b")):
            ours, werkzeugs = _requests(body, "", content_type)
            assert ours.form.to_dict() == werkzeugs.form.to_dict()
        assert ours.form.to_dict() == {"Digits": "1"}
