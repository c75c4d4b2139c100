"""SMTP with STARTTLS and with implicit TLS (smtps), authenticated, against aiosmtpd on loopback."""

from __future__ import annotations

import shutil
import smtplib
import ssl
import subprocess
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from mail.endpoint import SmtpEndpoint
from mail.transport import SmtpTransport
from tests.smtp_support import Mailbox, free_port


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl, Debian's)."""
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed to make the test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def authenticator(_server: Any, _session: Any, _envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"centralino", b"p@ss:word")
    return AuthResult(success=ok, handled=False)


def message() -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "noreply@example.org", "cittadino@example.org", "Richiesta 1234 5678"
    mail.set_content("Testo")
    return mail


@pytest.fixture
def tls_server(certificate: tuple[Path, Path], request: pytest.FixtureRequest) -> Iterator[tuple[int, Mailbox]]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    mailbox, port = Mailbox(), free_port()
    implicit = request.param == "smtps"
    # aiosmtpd only counts STARTTLS as TLS for AUTH: on an implicit TLS socket it must be told AUTH is fine.
    options: dict[str, Any] = ({"ssl_context": context, "auth_require_tls": False} if implicit else
                               {"tls_context": context, "require_starttls": True, "auth_require_tls": True})
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            server_hostname="127.0.0.1", **options)
    controller.start()
    yield port, mailbox
    controller.stop()


@pytest.mark.parametrize("tls_server", ["smtp+starttls", "smtps"], indirect=True)
def test_secured_and_authenticated_delivery(tls_server: tuple[int, Mailbox], certificate: tuple[Path, Path],
                                            request: pytest.FixtureRequest) -> None:
    port, mailbox = tls_server
    scheme = request.node.callspec.params["tls_server"]
    endpoint = SmtpEndpoint.parse(f"{scheme}://centralino:p%40ss%3Aword@127.0.0.1:{port}")
    transport = SmtpTransport(endpoint, timeout=5, ca_file=str(certificate[0]))
    transport.send(message(), "noreply@example.org", "cittadino@example.org")
    transport.close()
    assert [item["Subject"] for item in mailbox.messages()] == ["Richiesta 1234 5678"]


@pytest.mark.parametrize("tls_server", ["smtp+starttls"], indirect=True)
def test_an_untrusted_certificate_or_a_wrong_password_is_refused(tls_server: tuple[int, Mailbox],
                                                                 certificate: tuple[Path, Path]) -> None:
    port, _ = tls_server
    with pytest.raises(ssl.SSLCertVerificationError):
        SmtpTransport(SmtpEndpoint.parse(f"smtp+starttls://centralino:x@127.0.0.1:{port}"), timeout=5)
    with pytest.raises(smtplib.SMTPAuthenticationError):
        SmtpTransport(SmtpEndpoint.parse(f"smtp+starttls://centralino:sbagliata@127.0.0.1:{port}"), timeout=5,
                      ca_file=str(certificate[0]))
