"""What an operations team installs, from deploy/: each file checked by the tool that will read it.

The nginx site is also what the two-host tests run behind (tests/test_two_hosts.py).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from bench.nginx import SITE, check_site, render_site
from contact_center.cli import cli
from tests.conftest import make_app, make_settings, post_signed

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").iterdir())
RULES = DEPLOY / "prometheus" / "contact-center-rules.yml"
DASHBOARD = DEPLOY / "grafana" / "contact-center.json"
INSTALLED = "/srv/contact-center"
TOKEN = "dashboard-token"
METRIC = re.compile(r"\b(contact_center_[a-z_]+|up)\b")


def test_every_deploy_file_is_checked_here() -> None:
    shipped = {path.relative_to(DEPLOY).as_posix() for path in DEPLOY.rglob("*") if path.is_file()}
    assert shipped == {"nginx/contact-center.conf", "grafana/contact-center.json",
                       "prometheus/contact-center-rules.yml", "prometheus/contact-center-rules.test.yml",
                       *(f"systemd/{unit.name}" for unit in UNITS)}


def test_the_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    checked = check_site(tmp_path, ["127.0.0.1:18001", "127.0.0.1:18002"])
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr


def test_the_nginx_site_keeps_twilio_inside_its_15_seconds() -> None:
    site = SITE.read_text("utf-8")
    seconds = {name: int(value) for name, value in re.findall(r"^\s+(proxy_\w+_timeout) (\d+)s;", site, re.M)}
    assert seconds["proxy_connect_timeout"] + seconds["proxy_read_timeout"] < 15
    assert seconds["proxy_next_upstream_timeout"] + seconds["proxy_read_timeout"] < 15
    assert "client_max_body_size 64k;" in site  # web.max_body_bytes
    assert "non_idempotent" not in site  # a webhook a host may have handled is never sent twice
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"):
        assert f"proxy_set_header {header} " in site
    rendered = render_site(site, ["127.0.0.1:1", "127.0.0.1:2"], 8443, 8080, Path("/c.pem"), Path("/c.key"))
    assert re.findall(r"server (\S+) max_fails=1 fail_timeout=10s;", rendered) == ["127.0.0.1:1", "127.0.0.1:2"]


def _exec_lines(unit: Path) -> list[list[str]]:
    return [shlex.split(line.split("=", 1)[1]) for line in unit.read_text("utf-8").splitlines()
            if line.startswith("ExecStart=")]


def test_the_systemd_units_verify_and_run_real_commands(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze is required (Debian's systemd package)")
    installed = tmp_path / "srv" / "contact-center"
    (installed / ".venv" / "bin").mkdir(parents=True)
    (installed / ".venv" / "bin" / "contact-center").symlink_to(Path(sys.executable).parent / "contact-center")
    units = tmp_path / "units"
    units.mkdir()
    for unit in UNITS:  # only the installation folder differs: the units' paths must exist for verify
        (units / unit.name).write_text(unit.read_text("utf-8").replace(INSTALLED, str(installed)), "utf-8")
    verified = subprocess.run(["systemd-analyze", "verify", *sorted(str(path) for path in units.iterdir())],
                              capture_output=True, text=True)
    assert verified.returncode == 0 and verified.stderr.strip() == "", verified.stderr
    commands = [command for unit in UNITS for command in _exec_lines(unit)]
    assert [command[0] for command in commands] == [f"{INSTALLED}/.venv/bin/contact-center"] * len(commands)
    for command in commands:
        parsed = CliRunner().invoke(cli, [*command[1:], "--help"])
        assert parsed.exit_code == 0, (command, parsed.output)
    timers = {unit.stem for unit in UNITS if unit.suffix == ".timer"}
    assert timers == {"contact-center-recordings", "contact-center-purge"}


def promtool(*arguments: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("promtool") is None:
        pytest.fail("promtool is required (Debian's prometheus package)")
    return subprocess.run(["promtool", *arguments], capture_output=True, text=True, cwd=RULES.parent)


def test_the_alert_rules_check_and_pass_their_unit_tests() -> None:
    checked = promtool("check", "rules", RULES.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", "contact-center-rules.test.yml")
    assert tested.returncode == 0 and "SUCCESS" in tested.stdout, tested.stdout + tested.stderr
    alerts = {rule["alert"] for group in yaml.safe_load(RULES.read_text("utf-8"))["groups"] for rule in group["rules"]}
    assert {"ContactCenterJournalBacklog", "ContactCenterJournalRejected", "ContactCenterWebhookSlow",
            "ContactCenterDatabaseDown", "ContactCenterHostDown"} <= alerts


@pytest.fixture
def exposed(sqlite_url: str, tmp_path: Path) -> set[str]:
    """Every sample name GET /metrics shows once a call came in (or declares, for counters not yet counted)."""
    app: Flask = make_app(make_settings(sqlite_url, tmp_path / "instance", operations={"metrics_token": TOKEN}))
    call = {"CallSid": "CA" + "5" * 32, "From": "+393471234567", "To": "+39800840840", "CallStatus": "ringing"}
    assert post_signed(app.test_client(), "/voice/incoming", call).status_code == 200
    text = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).get_data(as_text=True)
    app.extensions["contact_center"].engine.dispose()
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
    families = list(text_string_to_metric_families(text))
    declared = {family.name + suffix for family in families for suffix in suffixes.get(family.type, ())}
    return declared | {sample.name for family in families for sample in family.samples}


def test_the_dashboard_and_the_rules_use_only_metrics_the_service_exposes(exposed: set[str]) -> None:
    dashboard = json.loads(DASHBOARD.read_text("utf-8"))
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    rules = [rule["expr"] for group in yaml.safe_load(RULES.read_text("utf-8"))["groups"] for rule in group["rules"]]
    used = {name for expression in expressions + rules for name in METRIC.findall(expression)} - {"up"}
    assert used and used <= exposed, sorted(used - exposed)
    shown = {name for expression in expressions for name in METRIC.findall(expression)}
    families = {re.sub(r"_(bucket|count|sum|total|created)$", "", name) for name in exposed}
    assert {name for name in families if name.startswith("contact_center_")} <= {
        re.sub(r"_(bucket|count|sum|total)$", "", name) for name in shown}  # every metric has a panel
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])
