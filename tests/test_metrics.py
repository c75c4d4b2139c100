"""Operations: /metrics behind a bearer token, figures from every worker, /healthz."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from contact_center.app import create_app
from ivr.flows import main_menu
from tests.conftest import make_app, make_settings, post_signed

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "scrape-token-1234"
CALL = {"CallSid": "CA" + "4" * 32, "AccountSid": "AC" + "0" * 32, "From": "+393471234567",
        "To": "+39800840840", "CallStatus": "in-progress"}


def metrics_app(database_url: str, tmp_path: Path) -> Flask:
    return make_app(make_settings(database_url, tmp_path / "instance", operations={"metrics_token": TOKEN},
                                  twilio={"api_base_url": "http://127.0.0.1:9"}))


def scrape(app: Flask) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for sample in family.samples}


def test_metrics_are_off_without_a_configured_token(sqlite_app: Flask) -> None:
    client = sqlite_app.test_client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_metrics_need_the_bearer_token(sqlite_url: str, tmp_path: Path) -> None:
    client = metrics_app(sqlite_url, tmp_path).test_client()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                    {"Authorization": f"Basic {TOKEN}"}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert b"contact_center" not in response.data


def test_a_call_shows_in_the_latency_histogram_the_call_log_and_the_callback_list(
        database_url: str, tmp_path: Path) -> None:
    app = metrics_app(database_url, tmp_path)
    client = app.test_client()
    assert post_signed(client, "/voice/incoming", CALL).status_code == 200
    confirm = "/voice/message/number/confirm?reason=chosen&attempt=1"
    assert post_signed(client, confirm, {**CALL, "Digits": "1"}).status_code == 200
    assert post_signed(client, "/voice/message/recorded?reason=chosen", {
        **CALL, "RecordingSid": "RE" + "1" * 32, "RecordingUrl": "https://api.twilio.com/r",
        "RecordingDuration": "7", "Digits": "#"}).status_code == 200
    assert client.post("/voice/status", data=CALL).status_code == 403

    figures = scrape(app)
    incoming = (("route", "/voice/incoming"),)
    assert figures[("contact_center_webhook_duration_seconds_count", incoming)] == 1
    assert figures[("contact_center_webhook_duration_seconds_bucket", (("le", "15.0"), *incoming))] == 1
    assert figures[("contact_center_webhook_responses_total", (("route", "/voice/status"), ("status", "403")))] == 1
    assert figures[("contact_center_calls", (("outcome", "message"),))] == 1
    assert figures[("contact_center_callbacks_pending", ())] == 1
    assert figures[("contact_center_journal_backlog", ())] == 0
    assert figures[("contact_center_database_up", ())] == 1
    app.extensions["contact_center"].engine.dispose()


def test_with_the_database_down_metrics_report_it_and_the_journal_backlog(tmp_path: Path) -> None:
    app = create_app(make_settings("postgresql+psycopg://postgres@127.0.0.1:1/none", tmp_path / "i",
                                   operations={"metrics_token": TOKEN, "replay_interval_seconds": 60}))
    client = app.test_client()
    confirm = "/voice/message/number/confirm?reason=chosen&attempt=1"
    assert post_signed(client, confirm, {**CALL, "Digits": "1"}).status_code == 200
    assert post_signed(client, "/voice/menu?attempt=1", CALL).status_code == 200
    figures = scrape(app)
    assert figures[("contact_center_database_up", ())] == 0
    assert figures[("contact_center_journal_backlog", ())] == 1
    assert ("contact_center_calls", (("outcome", "message"),)) not in figures
    assert client.get("/healthz").json == {"database": "unreachable: OperationalError", "journal_backlog": 1,
                                           "mail_backlog": None, "mail_failed": None}


def test_a_failing_step_counts_as_an_apology(sqlite_url: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> str:
        raise RuntimeError("boom")

    monkeypatch.setitem(main_menu.CHOICES, "3", broken)
    app = metrics_app(sqlite_url, tmp_path)
    answer = post_signed(app.test_client(), "/voice/menu/choice?attempt=1", {**CALL, "Digits": "3"})
    assert answer.status_code == 200 and b"<Record" in answer.data
    assert scrape(app)[("contact_center_webhook_apologies_total", (("route", "/voice/menu/choice"),))] == 1


WORKER = textwrap.dedent("""
    import sys
    from tests.conftest import make_app, make_settings, post_signed
    app = make_app(make_settings(sys.argv[1], sys.argv[2], operations={"metrics_token": "t"}))
    client = app.test_client()
    call = {"CallSid": "CA1", "From": "+393471234567"}
    for _ in range(int(sys.argv[3])):
        assert post_signed(client, "/voice/menu?attempt=1", call).status_code == 200
    if sys.argv[4] == "scrape":
        print(client.get("/metrics", headers={"Authorization": "Bearer t"}).get_data(as_text=True))
""")


def test_under_gunicorn_a_scrape_adds_up_every_worker(sqlite_url: str, tmp_path: Path) -> None:
    directory = tmp_path / "prometheus"
    directory.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory), "PYTHONPATH": str(ROOT)}

    def worker(requests: int, then: str) -> str:
        result = subprocess.run([sys.executable, "-c", WORKER, sqlite_url, str(tmp_path / "i"), str(requests), then],
                                capture_output=True, text=True, env=env, cwd=ROOT, check=True)
        return result.stdout

    worker(2, "exit")
    exposition = worker(3, "scrape")
    [count] = [sample.value for family in text_string_to_metric_families(exposition) for sample in family.samples
               if sample.name == "contact_center_webhook_duration_seconds_count"]
    assert count == 5


def test_serve_does_not_import_prometheus_before_setting_its_directory() -> None:
    code = "import sys, contact_center.cli; print('prometheus_client' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    assert result.stdout.strip() == "False"


def test_an_app_built_after_a_late_directory_is_refused(sqlite_url: str, tmp_path: Path) -> None:
    code = ("import os, prometheus_client, sys; os.environ['PROMETHEUS_MULTIPROC_DIR'] = sys.argv[2]\n"
            "from tests.conftest import make_app, make_settings\n"
            "make_app(make_settings(sys.argv[1], sys.argv[2]))")
    result = subprocess.run([sys.executable, "-c", code, sqlite_url, str(tmp_path)], capture_output=True,
                            text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode != 0
    assert "imported before PROMETHEUS_MULTIPROC_DIR was set" in result.stderr
