"""The dossier page in a real browser (Debian's chromium): its charts are drawn and nothing is fetched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser, sync_playwright

from ivr.cli import cli
from tests.figures_dataset import load_dataset, migrated_engine, write_config

CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
CHART_IDS = ("chiamate_per_giorno", "chiamate_per_ora", "esiti_chiamate", "richieste_per_argomento",
             "richieste_per_canale")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


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


@pytest.mark.browser
def test_report_file_shows_its_charts_and_fetches_nothing(browser: Browser, report_file: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(report_file.as_uri())
    assert page.title() == "Dossier del Contact Center 800 840 840 · dal 01/05/2026 al 31/05/2026"
    for chart_id in CHART_IDS:
        chart = page.locator(f"#grafico-{chart_id} svg")
        assert chart.count() == 1
        box = chart.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100, chart_id
        assert chart.locator("path").count() > 10
    assert page.locator("#grafico-chiamate_per_giorno figcaption").inner_text() == "Chiamate per giorno, per esito"
    first_row = page.locator("table#tabella-sintesi tbody tr").first
    assert first_row.locator("td").all_inner_texts() == ["Chiamate ricevute", "17", "0", "n.d."]
    assert page.locator("table#tabella-eventi tbody tr td").first.inner_text() == "Terremoto Emilia"
    assert fetched == [report_file.as_uri()]
    page.close()
