"""The transcript check: how a pause's transcript reads, and when the detector then ends the turn
(frames with given voiced flags, the verdict of a given transcript handed back at the pause)."""

from __future__ import annotations

import pytest

from earpiece.core.audio.frames import AudioFrame
from earpiece.core.audio.transcript_turn import Completeness, completeness, transcript_verdict
from earpiece.core.audio.turn_settings import Endpointing, TurnSettings
from earpiece.core.audio.turns import SpeechEnded, SpeechPaused, TurnDetector, TurnEvent, frames_for
from earpiece.core.settings import VadSettings
from tests.audio_gen import tone

T0 = 100.0
VOICED = tone(20)  # a frame loud enough to be speech (quieter ones never are)
TRANSCRIPT = TurnSettings(
    endpointing=Endpointing.TRANSCRIPT, complete_silence_ms=300, unfinished_silence_ms=1200
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("When are you open on Saturday?", Completeness.COMPLETE),
        ("Can I bring my dog to Yellowstone?", Completeness.COMPLETE),
        ("I need to change my, uh,", Completeness.UNFINISHED),  # a filler
        ("My order number is.", Completeness.UNFINISHED),  # the recogniser's full stop after "is"
        ("It was the age of.", Completeness.UNFINISHED),  # a preposition
        ("Can I bring my dog and.", Completeness.UNFINISHED),  # a conjunction
        ("I'd like to return the.", Completeness.UNFINISHED),  # an article
        ("I need to change my.", Completeness.UNFINISHED),  # a possessive
        ("My order number is 4 5.", Completeness.UNFINISHED),  # digits: more may follow
        ("What are you talking about?", Completeness.UNSURE),  # a question, but ends on "about"
        ("It was the epoch.", Completeness.UNSURE),  # a full stop: fragments get one too
        ("I'd like to return the kettle I bought last week.", Completeness.UNSURE),
        ("No matter,", Completeness.UNSURE),  # a comma: whole turns get one too
        ("where is my parcel", Completeness.UNSURE),  # no punctuation: the timer decides
        ("?", Completeness.UNSURE),
        ("", Completeness.UNSURE),
    ],
)
def test_a_transcript_reads_complete_unfinished_or_unsure(text: str, expected: Completeness) -> None:
    assert completeness(text) is expected


def test_the_verdict_carries_the_transcripts_time_as_its_decision_time() -> None:
    complete = transcript_verdict("Where is my parcel?", 120.0)
    assert complete.complete and not complete.unfinished and complete.compute_ms >= 120.0
    unfinished = transcript_verdict("Where is my", 80.0)
    assert not unfinished.complete and unfinished.unfinished


class Feed:
    """Pushes 20 ms frames with chosen voiced flags; hands the pause a transcript's verdict."""

    def __init__(self, vad: VadSettings | None = None, turns: TurnSettings = TRANSCRIPT) -> None:
        self.detector = TurnDetector(vad or VadSettings(), turns=turns)
        self.n = 0

    def frames(self, count: int, voiced: bool) -> list[TurnEvent]:
        events = []
        for _ in range(count):
            pcm = VOICED if voiced else bytes(640)
            event = self.detector.push(AudioFrame(pcm, T0 + self.n * 0.02), voiced)
            self.n += 1
            if event is not None:
                events.append(event)
        return events

    def say_then_pause(self, text: str | None) -> SpeechPaused:
        """One second of speech, then silence up to the pause; the pause's transcript is `text`."""
        self.frames(50, True)
        (pause,) = [e for e in self.frames(10, False) if isinstance(e, SpeechPaused)]  # 200 ms
        if text is not None:
            assert self.detector.verdict(pause.utterance.end_of_speech_at, transcript_verdict(text, 90.0))
        return pause

    def silence_until_end(self, most_ms: int = 3000) -> tuple[int, SpeechEnded]:
        """Silent frames until the turn ends: (the silence at the end in ms, the event)."""
        for _ in range(most_ms // 20):
            if ended := [e for e in self.frames(1, False) if isinstance(e, SpeechEnded)]:
                silence_ms = round((ended[0].detected_at - ended[0].utterance.end_of_speech_at) * 1000)
                return silence_ms, ended[0]
        raise AssertionError(f"the turn did not end within {most_ms} ms of silence")


def test_a_complete_transcript_ends_the_turn_after_the_complete_silence() -> None:
    feed = Feed()
    assert feed.detector.wants_transcript and not feed.detector.wants_verdict
    feed.say_then_pause("When are you open on Saturday?")
    silence_ms, ended = feed.silence_until_end()
    assert silence_ms == 300  # turns.complete_silence_ms, not vad.end_of_turn_ms (740)
    assert ended.by_model and not ended.forced and ended.turn_model_ms == pytest.approx(90.0, abs=1.0)


def test_a_complete_verdict_that_comes_late_ends_the_turn_at_once() -> None:
    feed = Feed()
    pause = feed.say_then_pause(None)
    feed.frames(15, False)  # the transcript takes 300 ms more: 500 ms of silence
    assert feed.detector.verdict(pause.utterance.end_of_speech_at, transcript_verdict("Is that right?"))
    silence_ms, ended = feed.silence_until_end()
    assert silence_ms == 520 and ended.by_model


def test_an_unfinished_transcript_holds_the_turn_open_past_the_timer() -> None:
    feed = Feed()
    feed.say_then_pause("My order number is, uh,")
    silence_ms, ended = feed.silence_until_end()
    assert silence_ms == 1200  # turns.unfinished_silence_ms
    assert not ended.by_model


def test_the_caller_going_on_after_an_unfinished_pause_keeps_one_turn() -> None:
    feed = Feed()
    first = feed.say_then_pause("I need to change my.")
    assert not [e for e in feed.frames(45, False) if isinstance(e, SpeechEnded)]  # 1100 ms in all
    feed.frames(40, True)  # "... delivery address."
    silence_ms, ended = feed.silence_until_end()
    assert silence_ms == 740  # no verdict on the new pause yet: the timer
    assert ended.utterance.started_at == first.utterance.started_at


@pytest.mark.parametrize("text", ["It was the epoch.", None])
def test_an_unsure_transcript_or_none_leaves_the_timer(text: str | None) -> None:
    feed = Feed()
    feed.say_then_pause(text)
    silence_ms, ended = feed.silence_until_end()
    assert silence_ms == 740 and not ended.by_model


def test_a_verdict_on_an_utterance_that_went_on_is_ignored() -> None:
    feed = Feed()
    pause = feed.say_then_pause(None)
    feed.frames(5, True)  # the caller goes on
    assert not feed.detector.verdict(pause.utterance.end_of_speech_at, transcript_verdict("Really?"))
    silence_ms, _ = feed.silence_until_end()
    assert silence_ms == 740


def test_a_timer_set_beyond_the_unfinished_silence_still_ends_the_turn() -> None:
    feed = Feed(VadSettings(end_of_turn_ms=1500))  # set by hand above turns.unfinished_silence_ms
    feed.say_then_pause("My order number is")
    silence_ms, _ = feed.silence_until_end()
    assert silence_ms == 1500  # the unfinished wait is never shorter than the timer


def test_complete_silence_must_be_below_the_unfinished_silence() -> None:
    with pytest.raises(ValueError, match="complete_silence_ms"):
        TurnSettings(endpointing=Endpointing.TRANSCRIPT, complete_silence_ms=800, unfinished_silence_ms=700)


@pytest.mark.parametrize(("ms", "frames"), [(740, 37), (750, 38), (730, 37), (745, 37), (10, 1), (0, 1)])
def test_silences_are_rounded_to_the_nearest_frame(ms: int, frames: int) -> None:
    assert frames_for(ms) == frames


def test_the_timer_runs_for_the_rounded_silence() -> None:
    feed = Feed(VadSettings(end_of_turn_ms=750), TurnSettings(endpointing=Endpointing.TIMER))
    feed.frames(50, True)
    silence_ms, _ = feed.silence_until_end()
    assert silence_ms == 760  # 37.5 frames, rounded up (it ran as 740 before)
