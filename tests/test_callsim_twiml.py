"""TwiML parsing and validation, key collection and voices: the simulator's pure parts."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callsim.dialing import dial_targets
from callsim.prompts import collect_digits
from callsim.twiml import Context, Node, TwimlError, parse_document
from callsim.voices import speech_seconds, voice_problem

HEAD = '<?xml version="1.0" encoding="UTF-8"?>'


def parse(inner: str, context: Context = Context.CALL, strict: bool = True):
    return parse_document("https://cc.example.org/voice/x", f"{HEAD}<Response>{inner}</Response>",
                          context, strict)


def test_a_valid_document_becomes_nodes_with_say_text_flattened():
    document = parse(
        '<Gather numDigits="1" action="menu">'
        '<Say voice="Polly.Bianca" language="it-IT">Premi <break time="1s"/> uno</Say>'
        "</Gather><Hangup/>"
    )
    gather, hangup = document.verbs
    assert gather.attrs == {"numDigits": "1", "action": "menu"}
    assert gather.children == (
        Node("Say", {"voice": "Polly.Bianca", "language": "it-IT"}, "Premi uno"),
    )
    assert hangup.name == "Hangup"
    assert document.url == "https://cc.example.org/voice/x"


@pytest.mark.parametrize(
    "body",
    [
        "",
        f" {HEAD}<Response/>",
        "\n<Response/>",
        "\ufeff<Response/>",
        "<Response><Say>Tom & Jerry</Say></Response>",
        "<Response><Say>open</Response>",
        "<Responses/>",
        "<response/>",
    ],
)
def test_bad_documents_are_12100(body):
    with pytest.raises(TwimlError) as failure:
        parse_document("u", body)
    assert failure.value.code == 12100


@pytest.mark.parametrize(
    ("inner", "complaint"),
    [
        ("<Speak>Ciao</Speak>", "unknown element <Speak>"),
        ("<Gather><Dial>+39061234</Dial></Gather>", "<Dial> is not allowed inside <Gather>"),
        ("<Gather><Record/></Gather>", "<Record> is not allowed inside <Gather>"),
        ("<Number>+39061234</Number>", "<Number> is not allowed in a call document"),
        ('<Gather timeout="soon"/>', "invalid value 'soon' for attribute 'timeout'"),
        ('<Gather finishOnKey="##"/>', "attribute 'finishOnKey'"),
        ('<Say loop="-1">Ciao</Say>', "attribute 'loop'"),
        ('<Say colour="blue">Ciao</Say>', "attribute 'colour' is not allowed in <Say>"),
        ('<Record method="PUT"/>', "attribute 'method'"),
        ('<Play digits="12x"/>', "invalid value '12x' for attribute 'digits'"),
        ("<Play/>", "<Play> needs a URL or a digits attribute"),
        ("<Pause>3</Pause>", "<Pause> cannot hold text"),
        ("<Redirect/>", "<Redirect> needs text"),
        ("<Dial/>", "<Dial> needs either"),
        ("<Dial>+39061<Number>+39062</Number></Dial>", "<Dial> needs either"),
        ("<Leave/>", "<Leave> is not allowed in a call document"),
        ("stray text<Hangup/>", "text outside any verb"),
    ],
)
def test_schema_violations_are_12200(inner, complaint):
    with pytest.raises(TwimlError) as failure:
        parse(inner)
    assert failure.value.code == 12200
    assert complaint in failure.value.detail


def test_contexts_limit_the_verbs():
    assert parse("<Leave/>", Context.QUEUE_WAIT).verbs[0].name == "Leave"
    for inner, context in [
        ("<Dial>+39061234</Dial>", Context.WHISPER),
        ("<Record/>", Context.QUEUE_WAIT),
        ("<Enqueue>coda</Enqueue>", Context.QUEUE_WAIT),
    ]:
        with pytest.raises(TwimlError, match="12200"):
            parse(inner, context)


def test_non_strict_parsing_drops_the_invalid_parts_and_keeps_warnings():
    document = parse('<Speak>x</Speak><Say colour="blue">Ciao</Say>', strict=False)
    assert document.verbs == (Node("Say", {}, "Ciao"),)
    assert document.warnings == (
        "unknown element <Speak>",
        "attribute 'colour' is not allowed in <Say>",
    )


def test_play_digits_may_wait_with_w():
    assert parse('<Play digits="ww1234#"/>').verbs[0].get("digits") == "ww1234#"


def test_typed_attribute_access():
    gather = parse('<Gather timeout="7" actionOnEmptyResult="true"/>').verbs[0]
    assert gather.get_int("timeout", 5) == 7
    assert gather.get_int("numDigits", 0) == 0
    assert gather.get_bool("actionOnEmptyResult", False) is True
    assert gather.get("action") is None


def test_dial_targets_from_text_and_nouns():
    text_dial, noun_dial = parse(
        "<Dial>+39061234</Dial>"
        '<Dial><Number url="whisper">+39065678</Number><Client>operatore7</Client>'
        "<Sip>sip:desk@pbx.example.org</Sip></Dial>"
    ).verbs
    assert [t.address for t in dial_targets(text_dial)] == ["+39061234"]
    assert [(t.kind, t.address) for t in dial_targets(noun_dial)] == [
        ("Number", "+39065678"),
        ("Client", "client:operatore7"),
        ("Sip", "sip:desk@pbx.example.org"),
    ]
    assert dial_targets(noun_dial)[0].attrs == {"url": "whisper"}


@pytest.mark.parametrize(
    ("keys", "finish_on_key", "num_digits", "expected"),
    [
        ("123#", "#", None, ("123", "#", False)),
        ("12345", "#", 3, ("123", None, False)),
        ("#", "#", None, ("", "#", False)),
        ("7*", "*", None, ("7", "*", False)),
        ("1#2", "", None, ("1#2", None, True)),
        ("12", "#", 4, ("12", None, True)),
    ],
)
def test_collect_digits(keys, finish_on_key, num_digits, expected):
    assert tuple(collect_digits(keys, finish_on_key, num_digits)) == expected


def test_collect_digits_refuses_keys_a_phone_does_not_have():
    with pytest.raises(ValueError, match="not a phone key"):
        collect_digits("12a", "#", None)


@given(
    keys=st.text(alphabet="0123456789*#", max_size=20),
    finish_on_key=st.sampled_from(["#", "*", ""]),
    num_digits=st.none() | st.integers(min_value=1, max_value=10),
)
def test_collected_digits_are_a_prefix_without_the_finish_key(keys, finish_on_key, num_digits):
    entry = collect_digits(keys, finish_on_key, num_digits)
    assert keys.startswith(entry.digits)
    assert not finish_on_key or finish_on_key not in entry.digits
    assert num_digits is None or len(entry.digits) <= num_digits


@pytest.mark.parametrize(
    ("voice", "language", "fine"),
    [
        ("Polly.Bianca", "it-IT", True),
        ("Polly.Adriano-Neural", "it-IT", True),
        ("Google.it-IT-Standard-A", "it-IT", True),
        ("alice", "it-IT", True),
        ("man", "it-IT", False),
        ("Polly.Bianca", "en-US", False),
        ("Google.en-US-Standard-B", "it-IT", False),
        ("robot", "it-IT", False),
    ],
)
def test_voice_must_speak_the_language(voice, language, fine):
    assert (voice_problem(voice, language) is None) is fine


def test_speech_takes_about_two_and_a_half_words_a_second():
    assert speech_seconds("uno due tre quattro cinque") == 2.0
    assert speech_seconds("ciao") == 1.0
