"""Issue 14, point 5: the smaller probes, each with the behaviour users now see."""

from __future__ import annotations

import csv
import stat
from pathlib import Path

from flask import Flask

from figures.dossier import csv_cell
from storage.db import make_engine
from storage.migrate import upgrade
from tests.conftest import make_app, make_settings
from tickets.intake import new_ticket


def test_the_sqlite_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db' / 'contact-center.db'}")
    upgrade(engine)
    engine.dispose()
    for path in (tmp_path / "db").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


def test_csv_cells_that_look_like_formulas_are_neutralised(tmp_path: Path) -> None:
    assert csv_cell('=HYPERLINK("http://evil","x")') == '\'=HYPERLINK("http://evil","x")'
    assert [csv_cell(v) for v in ("+1", "-2", "@SUM(A1)", "Alluvione", 3, -4)] == ["'+1", "'-2", "'@SUM(A1)",
                                                                                  "Alluvione", 3, -4]
    path = tmp_path / "eventi.csv"
    with path.open("w", newline="") as file:
        csv.writer(file).writerow([csv_cell("=1+1")])
    assert path.read_text().startswith("'=1+1")


def test_nul_and_esc_in_a_summary_are_refused() -> None:
    for bad in ("prima\x00dopo", "colore \x1b[31m rosso"):
        try:
            new_ticket("email", "other", bad)
        except ValueError as error:
            assert "control characters" in str(error)
        else:
            raise AssertionError(bad)
    assert new_ticket("email", "other", "riga uno\r\nriga due\tfine").summary.startswith("riga uno")


def _api_app(sqlite_url: str, tmp_path: Path, **web) -> Flask:
    return make_app(make_settings(sqlite_url, tmp_path / "instance", web=web) if web
                    else make_settings(sqlite_url, tmp_path / "instance"))


def test_a_deeply_nested_json_body_is_a_400_and_a_large_one_a_json_413(sqlite_url: str, tmp_path: Path) -> None:
    from access.tokens import create_token
    from tests.conftest import LINE_OPEN_AT

    app = _api_app(sqlite_url, tmp_path)
    with app.extensions["contact_center"].sessions.begin() as session:
        raw = create_token(session, "t", now=LINE_OPEN_AT, scopes=("tickets:write",))[1]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {raw}", "Content-Type": "application/json"}
    deep = client.post("/api/tickets", data="[" * 30000 + "]" * 30000, headers=headers)
    assert deep.status_code == 400 and deep.get_json()["error"] == "bad_request"
    large = client.post("/api/tickets", data='{"summary": "' + "x" * 70000 + '"}', headers=headers)
    assert large.status_code == 413 and large.get_json()["error"] == "payload_too_large"
    app.extensions["contact_center"].engine.dispose()


def test_public_pages_send_a_csp_and_a_frame_policy_and_hsts_behind_https(sqlite_url: str, tmp_path: Path) -> None:
    app = _api_app(sqlite_url, tmp_path)
    for path in ("/status", "/hours.html"):
        response = app.test_client().get(path)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in response.headers
    app.extensions["contact_center"].engine.dispose()
    embedded = _api_app(sqlite_url, tmp_path, public_base_url="https://cc.example.org",
                        embed_origins=["https://www.protezionecivile.gov.it"])
    response = embedded.test_client().get("/status")
    assert "frame-ancestors https://www.protezionecivile.gov.it" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    embedded.extensions["contact_center"].engine.dispose()
