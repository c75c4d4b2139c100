"""The fake Twilio REST API, driven by the real `twilio` client."""

import io
import wave

import pytest
import requests
from flask import Flask, Response
from twilio.base.exceptions import TwilioRestException

from callsim import FakeTwilioApi, RewritingHttpClient, Simulator, WSGITransport, twilio_client_for

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "api-auth-token"


@pytest.fixture
def api():
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as running:
        yield running


@pytest.fixture
def client(api):
    return twilio_client_for(api)


def _recorded_call(api: FakeTwilioApi, seconds: int) -> str:
    """Simulate a call that leaves a message; return the RecordingUrl the app was given."""
    app = Flask(__name__)
    xml = '<?xml version="1.0" encoding="UTF-8"?><Response>{}</Response>'
    app.add_url_rule("/voice/incoming", "incoming", methods=["POST"],
                     view_func=lambda: Response(xml.format('<Record action="/voice/done"/>'),
                                                mimetype="text/xml"))
    app.add_url_rule("/voice/done", "done", methods=["POST"],
                     view_func=lambda: Response(xml.format(""), mimetype="text/xml"))
    simulator = Simulator(WSGITransport(app), "webhook-token", status_callback_url=None,
                          account_sid=ACCOUNT_SID, api_base_url=api.base_url, recording_store=api)
    call = simulator.dial()
    call.record(seconds, "#")
    return call.requests_to("/voice/done")[0].params["RecordingUrl"]


def test_create_message(api, client):
    message = client.messages.create(to="+393471234567", from_="+39800840840",
                                     body="Richiesta R-2024-0042 ricevuta.")
    assert message.sid.startswith("SM") and len(message.sid) == 34
    assert (message.status, message.to, message.body) == (
        "queued", "+393471234567", "Richiesta R-2024-0042 ricevuta."
    )
    [created] = api.messages
    assert created.sid == message.sid
    assert created.params == {"To": "+393471234567", "From": "+39800840840",
                              "Body": "Richiesta R-2024-0042 ricevuta."}


def test_a_message_without_body_is_refused_like_twilio(client):
    with pytest.raises(TwilioRestException) as failure:
        client.messages.create(to="+393471234567", from_="+39800840840")
    assert (failure.value.status, failure.value.code) == (400, 21602)


def test_create_call(api, client):
    call = client.calls.create(
        to="+393471234567", from_="+39800840840", url="https://cc.example.org/voice/callback",
        status_callback="https://cc.example.org/voice/status",
        status_callback_event=["initiated", "completed"],
    )
    assert call.sid.startswith("CA") and call.status == "queued"
    assert call.direction == "outbound-api"
    params = api.calls[0].params
    assert params["Url"] == "https://cc.example.org/voice/callback"
    assert params["StatusCallbackEvent"] == "initiated completed"


def test_a_simulated_recording_can_be_downloaded_with_credentials(api):
    recording_url = _recorded_call(api, seconds=3)
    recordings = f"{api.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE"
    assert recording_url.startswith(recordings)
    media = requests.get(recording_url + ".wav", auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5)
    assert media.status_code == 200 and media.headers["Content-Type"] == "audio/x-wav"
    with wave.open(io.BytesIO(media.content)) as audio:
        assert audio.getnframes() / audio.getframerate() == 3.0
    mp3 = requests.get(recording_url + ".mp3", auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5)
    assert mp3.headers["Content-Type"] == "audio/mpeg" and mp3.content[:2] == b"\xff\xfb"
    anonymous = requests.get(recording_url + ".wav", timeout=5)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == 20003


def test_fetch_and_delete_a_recording_with_the_client(api, client):
    sid = _recorded_call(api, seconds=4).rsplit("/", 1)[1]
    recording = client.recordings(sid).fetch()
    assert (recording.sid, recording.duration, recording.status) == (sid, "4", "completed")
    assert recording.call_sid.startswith("CA")
    assert client.recordings(sid).delete() is True
    assert api.deleted_recordings == [sid]
    with pytest.raises(TwilioRestException) as failure:
        client.recordings(sid).fetch()
    assert failure.value.status == 404


def test_media_through_the_rewriting_client(api):
    sid = _recorded_call(api, seconds=1).rsplit("/", 1)[1]
    http = RewritingHttpClient(api.base_url)
    public_url = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}.wav"
    response = http.request("GET", public_url, auth=(ACCOUNT_SID, AUTH_TOKEN))
    assert response.status_code == 200
    assert api.requests[-1].path.endswith(f"/Recordings/{sid}.wav")


def test_bad_credentials_are_401(api):
    intruder = twilio_client_for(api, auth_token="wrong-token")
    with pytest.raises(TwilioRestException) as failure:
        intruder.messages.create(to="+393471234567", from_="+39800840840", body="x")
    assert (failure.value.status, failure.value.code) == (401, 20003)
    assert api.messages == []


def test_another_accounts_resources_are_not_found(api, client):
    stranger = twilio_client_for(api, account_sid="AC" + "2" * 32)
    with pytest.raises(TwilioRestException) as failure:
        stranger.api.v2010.accounts("AC" + "2" * 32).messages.create(
            to="+393471234567", from_="+39800840840", body="x")
    assert failure.value.status == 401
    with pytest.raises(TwilioRestException) as failure:
        client.api.v2010.accounts("AC" + "2" * 32).messages.create(
            to="+393471234567", from_="+39800840840", body="x")
    assert failure.value.status == 404


def test_fail_next_injects_errors_then_recovers(api, client):
    api.fail_next(2, status=503)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as failure:
            client.messages.create(to="+393471234567", from_="+39800840840", body="x")
        assert (failure.value.status, failure.value.code) == (503, 20503)
    client.messages.create(to="+393471234567", from_="+39800840840", body="x")
    assert [request.status for request in api.requests] == [503, 503, 201]
    assert len(api.messages) == 1


@pytest.mark.parametrize(
    ("url", "rewritten"),
    [
        ("https://api.twilio.com/2010-04-01/Accounts.json?x=1", "http://fake:1/2010-04-01/Accounts.json?x=1"),
        ("https://api.dublin.ie1.twilio.com/v1/x", "http://fake:1/v1/x"),
        ("https://example.org/recording.wav", "https://example.org/recording.wav"),
        ("https://nottwilio.com/x", "https://nottwilio.com/x"),
    ],
)
def test_only_twilio_hosts_are_rewritten(url, rewritten):
    assert RewritingHttpClient("http://fake:1/").rewrite(url) == rewritten


def test_base_url_needs_a_running_server():
    with pytest.raises(RuntimeError, match="not running"):
        _ = FakeTwilioApi().base_url
