"""The dossier in a real browser (Debian's chromium): in the console and as the report's file, charts drawn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from access.accounts import Role
from contact_center.cli import cli
from figures.events import add_event
from tests.browser_support import live_server, sign_in_with_the_form
from tests.conftest import make_app, make_settings
from tests.figures_dataset import EVENT_PERIOD, load_dataset, migrated_engine, rome, write_config
from tests.test_console_support import create_account

CHART_IDS = ("chiamate_per_giorno", "chiamate_per_ora", "esiti_chiamate", "richieste_per_argomento",
             "richieste_per_canale")


@pytest.fixture
def report_file(tmp_path: Path, sqlite_url: str) -> Path:
    """The dossier written by `contact-center report` for May 2026 on the known data set."""
    engine = migrated_engine(sqlite_url)
    load_dataset(engine)
    engine.dispose()
    config = write_config(tmp_path, sqlite_url)
    runner = CliRunner()
    added = runner.invoke(cli, ["--config", str(config), "events", "add", "Terremoto Emilia",
                                "--from", "2026-05-20", "--to", "2026-05-22"])
    assert added.exit_code == 0, added.output
    result = runner.invoke(cli, ["--config", str(config), "report", "--from", "2026-05-01", "--to", "2026-05-31",
                                 "--out", str(tmp_path / "dossier")])
    assert result.exit_code == 0, result.output
    return tmp_path / "dossier" / "dossier.html"


@pytest.fixture
def console_url(sqlite_url: str, tmp_path: Path) -> Iterator[str]:
    """The app served on a free local port: the known data set, its event and a supervisor's account."""
    app = make_app(make_settings(sqlite_url, tmp_path / "instance"))
    runtime = app.extensions["contact_center"]
    load_dataset(runtime.engine)
    with Session(runtime.engine) as session:
        add_event(session, "Terremoto Emilia", EVENT_PERIOD, "Silvia Supervisora")
        session.commit()
    runtime.clock = lambda: rome(2026, 5, 31, 12)
    create_account(app, "Silvia Supervisora", Role.SUPERVISOR)
    with live_server(app) as base:
        yield base
    runtime.engine.dispose()


def assert_charts_drawn(page: Page) -> None:
    """Each of the five charts is an SVG of real size with drawn paths."""
    for chart_id in CHART_IDS:
        chart = page.locator(f"#grafico-{chart_id} svg")
        assert chart.count() == 1
        box = chart.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100, chart_id
        assert chart.locator("path").count() > 10


def signed_in_page(browser: Browser, url: str) -> Page:
    """A page that opened `url` and signed in there as the supervisor (the sign-in form comes first)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="it-IT")
    page.goto(url)
    sign_in_with_the_form(page, "Silvia Supervisora")
    return page


@pytest.mark.browser
def test_a_supervisor_opens_the_dossier_in_the_console_and_picks_the_event(browser: Browser, console_url: str) -> None:
    page = signed_in_page(browser, f"{console_url}/console/dossier?from=2026-05-01&to=2026-05-31")
    expect(page).to_have_url(f"{console_url}/console/dossier?from=2026-05-01&to=2026-05-31")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dossier del Contact Center 800 840 840")
    assert_charts_drawn(page)
    assert page.locator("table#tabella-sintesi tbody tr").first.locator("td").all_inner_texts() == [
        "Chiamate ricevute", "17", "0", "n.d."]
    page.get_by_label("Evento").select_option("Terremoto Emilia")
    page.get_by_role("button", name="Mostra l'evento").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact Center 800 840 840: Terremoto Emilia")
    assert_charts_drawn(page)
    assert page.locator("table#tabella-sintesi tbody tr").first.locator("td").all_inner_texts() == [
        "Chiamate ricevute", "10", "5", "+100,0 %"]
    page.close()


@pytest.mark.browser
def test_report_file_shows_its_charts_and_fetches_nothing(browser: Browser, report_file: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(report_file.as_uri())
    assert page.title() == "Dossier del Contact Center 800 840 840 · dal 01/05/2026 al 31/05/2026"
    assert_charts_drawn(page)
    assert page.locator("#grafico-chiamate_per_giorno figcaption").inner_text() == "Chiamate per giorno, per esito"
    first_row = page.locator("table#tabella-sintesi tbody tr").first
    assert first_row.locator("td").all_inner_texts() == ["Chiamate ricevute", "17", "0", "n.d."]
    assert page.locator("table#tabella-eventi tbody tr td").first.inner_text() == "Terremoto Emilia"
    assert fetched == [report_file.as_uri()]
    page.close()


@pytest.mark.browser
def test_a_supervisor_names_an_event_in_the_console_and_opens_its_dossier(browser: Browser, console_url: str) -> None:
    page = signed_in_page(browser, f"{console_url}/console/login")
    page.get_by_role("link", name="Eventi").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Eventi ed emergenze")
    page.get_by_label("Nome").fill("Allerta meteo Lazio")
    page.get_by_label("Primo giorno").fill("2026-05-24")
    page.get_by_label("Ultimo giorno (compreso)").fill("2026-05-26")
    page.get_by_role("button", name="Salva l'evento").click()
    expect(page.locator(".flash-success")).to_contain_text("Evento «Allerta meteo Lazio» salvato")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    assert rows.first.locator("td").all_inner_texts()[:4] == ["Allerta meteo Lazio", "24/05/2026", "26/05/2026", "3"]
    page.get_by_role("link", name="Allerta meteo Lazio").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact Center 800 840 840: Allerta meteo Lazio")
    assert_charts_drawn(page)
    page.get_by_role("link", name="Gestisci gli eventi").click()
    expect(page).to_have_url(f"{console_url}/console/events")
    page.get_by_role("button", name="Elimina l'evento Allerta meteo Lazio").click()  # not confirmed: stays
    expect(rows).to_have_count(2)
    page.get_by_role("checkbox", name="Confermo l'eliminazione dell'evento Allerta meteo Lazio").check()
    page.get_by_role("button", name="Elimina l'evento Allerta meteo Lazio").click()
    expect(page.locator(".flash-success")).to_contain_text("Evento «Allerta meteo Lazio» eliminato")
    expect(rows).to_have_count(1)
    page.close()
