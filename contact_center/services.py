"""The voicemail domain's rules and collaborators, built from the configuration."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from pathlib import Path

from contact_center.config import ConfigError, Settings
from contact_center.twilio_rest import TwilioRest, twilio_rest
from voicemail.queue import CallbackPolicy
from voicemail.recordings import CopyPolicy
from voicemail.store import S3_SCHEME, LocalFolderStore, RecordingStore, S3Store, parse_s3_url
from voicemail.transcription import Transcriber, TranscriberError, load_transcriber

RECORDINGS_SUBDIR = "recordings"


def callback_policy(settings: Settings) -> CallbackPolicy:
    """Retry delays, attempts and claim timeout of the callback list."""
    config = settings.voicemail
    return CallbackPolicy(
        retry_delays=tuple(timedelta(minutes=minutes) for minutes in config.retry_delays_minutes),
        max_attempts=config.max_attempts,
        claim_timeout=timedelta(minutes=config.claim_timeout_minutes),
    )


@cache
def _s3_store(url: str, encryption: str, kms_key_id: str) -> S3Store:
    bucket, prefix = parse_s3_url(url)
    return S3Store(bucket, prefix, encryption=encryption, kms_key_id=kms_key_id)


def recording_store(settings: Settings) -> RecordingStore:
    """Where recordings are copied: `voicemail.recordings_store` (RECORDINGS_STORE).

    An `s3://BUCKET/PREFIX` URL is an S3-compatible bucket (one client per process, configured
    by boto3's AWS_* environment); anything else is a folder, by default `recordings` in the
    instance folder.
    """
    config = settings.voicemail
    if config.recordings_store.startswith(S3_SCHEME):
        return _s3_store(config.recordings_store, config.recordings_encryption, config.recordings_kms_key_id)
    folder = config.recordings_store or str(Path(settings.database.instance_dir) / RECORDINGS_SUBDIR)
    return LocalFolderStore(Path(folder))


def copy_policy(settings: Settings) -> CopyPolicy:
    """Where copies go, their format, retries and deletion from Twilio."""
    config = settings.voicemail
    return CopyPolicy(store=recording_store(settings), file_format=config.recording_format,
                      delete_from_twilio=config.delete_from_twilio, max_attempts=config.copy_max_attempts,
                      language=settings.line.language)


def rest_client(settings: Settings) -> TwilioRest:
    """The Twilio REST client with the configured account and timeout."""
    return twilio_rest(settings.twilio, float(settings.voicemail.twilio_timeout_seconds))


@cache
def _transcriber(spec: str) -> Transcriber:
    try:
        return load_transcriber(spec)
    except TranscriberError as error:
        raise ConfigError(str(error)) from None


def transcriber(settings: Settings) -> Transcriber:
    """The configured transcription step (none by default)."""
    return _transcriber(settings.voicemail.transcriber)
