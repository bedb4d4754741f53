"""Tests of core/tts."""
