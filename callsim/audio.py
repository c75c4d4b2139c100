"""Silent recordings in the formats Twilio serves them: WAV (the default) and MP3."""

from __future__ import annotations

import io
import wave

WAV_SAMPLE_RATE = 8000  # Twilio records 8 kHz, 16-bit mono
_MP3_SILENT_FRAME = b"\xff\xfb\x90\xc0" + bytes(413)  # MPEG-1 Layer III, 128 kbit/s, mono
_MP3_FRAMES_PER_SECOND = 44100 / 1152


def silent_wav(seconds: int) -> bytes:
    """A valid WAV file of `seconds` of silence, 8 kHz 16-bit mono."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(WAV_SAMPLE_RATE)
        wav.writeframes(bytes(2 * WAV_SAMPLE_RATE * seconds))
    return buffer.getvalue()


def silent_mp3(seconds: int) -> bytes:
    """An MP3 stream of about `seconds` of silence."""
    return _MP3_SILENT_FRAME * max(1, round(seconds * _MP3_FRAMES_PER_SECOND))
