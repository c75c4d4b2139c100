"""The `mail` and `written` sections: SMTP_URL and MAIL_FROM, and errors that name their key."""

from __future__ import annotations

from pathlib import Path

import pytest

from contact_center.config import ConfigError, load_settings, settings_from_mapping


def test_the_shipped_configuration_sends_no_mail() -> None:
    settings = load_settings(Path(__file__).parents[1] / "config.yaml", environ={})
    assert settings.mail.endpoint is None and settings.mail.from_address == ""
    assert "Regolamento (UE) 2016/679" in settings.written.privacy_notice


def test_smtp_url_and_mail_from_come_from_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("mail:\n  smtp_url: smtp://localhost:25\n", "utf-8")
    settings = load_settings(config, environ={"SMTP_URL": "smtp+starttls://cc%40pc.it:segreta@relay.pc.it:587",
                                              "MAIL_FROM": "Contact Center <noreply@pc.it>"})
    endpoint = settings.mail.endpoint
    assert endpoint is not None
    assert (endpoint.host, endpoint.port, endpoint.security, endpoint.username) == ("relay.pc.it", 587, "starttls",
                                                                                     "cc@pc.it")
    assert settings.mail.from_address == "Contact Center <noreply@pc.it>"


@pytest.mark.parametrize(("mapping", "message"), [
    ({"mail": {"smtp_url": "http://relay"}}, "mail.smtp_url: scheme 'http' is not one of"),
    ({"mail": {"smtp_url": "smtp://relay"}}, "mail: from_address (MAIL_FROM) is required when smtp_url is set"),
    ({"mail": {"from_address": "non un indirizzo"}}, "mail.from_address:"),
    ({"mail": {"from_address": "a@b.it\r\nBcc: c@d.it"}}, "mail.from_address: the From address cannot hold line"),
    ({"written": {"privacy_notice": "  "}}, "written.privacy_notice: the privacy notice cannot be empty"),
    ({"written": {"max_message_chars": 9000}}, "written.max_message_chars:"),
    ({"mail": {"unknown": 1}}, "mail.unknown: unknown key"),
])
def test_bad_values_name_their_key(mapping: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        settings_from_mapping(mapping)
