"""The typed durable writes: each one survives the journal's round trip, and bad lines are refused."""

from __future__ import annotations

import json

import pytest

from contact_center.durable_writes import (
    OPERATIONS,
    AttachRecording,
    MarkNoMessage,
    NoteCodeSms,
    OpenCallbackRequest,
    RecordCallEnd,
    RecordCallLanguage,
    RecordCallOutcome,
    RecordCallStart,
    from_journal,
    journal_arguments,
)

SID = "CA" + "1" * 32
EXAMPLES = [
    OpenCallbackRequest(SID, "+393471234567", "caller_id", "closed", "12345678", 8, "en"),
    AttachRecording(SID, "closed", "RE" + "2" * 32, "https://api.twilio.com/r", 12, "completed"),
    MarkNoMessage(SID),
    NoteCodeSms(SID, "SM" + "3" * 32),
    RecordCallStart(SID, None, "+39800840840", "en"),
    RecordCallLanguage(SID, "en"),
    RecordCallOutcome(SID, "message"),
    RecordCallEnd(SID, "completed", 95),
]


def test_every_operation_has_an_example_and_one_journal_name() -> None:
    assert sorted(type(write).operation for write in EXAMPLES) == sorted(OPERATIONS)


@pytest.mark.parametrize("write", EXAMPLES, ids=lambda write: type(write).operation)
def test_a_write_comes_back_from_a_journal_line_unchanged(write: object) -> None:
    line = json.loads(json.dumps(journal_arguments(write)))  # type: ignore[arg-type]
    assert from_journal(type(write).operation, line) == write  # type: ignore[attr-defined]


def test_a_line_of_an_unknown_operation_or_with_wrong_fields_is_refused() -> None:
    with pytest.raises(KeyError):
        from_journal("operation_of_a_newer_version", {"call_sid": SID})
    with pytest.raises(TypeError):
        from_journal("record_call_outcome", {"call_sid": SID, "result": "message"})


def test_lines_journaled_before_languages_replay_as_italian_calls() -> None:
    started = from_journal("record_call_start", {"call_sid": SID, "caller_number": None,
                                                 "line_number": "+39800840840"})
    opened = from_journal("open_callback_request", {"call_sid": SID, "callback_number": None, "number_source": "none",
                                                    "reason": "error", "tracking_code": None, "code_length": 8})
    assert (started.language, opened.language) == ("it", "it")  # type: ignore[attr-defined]
