"""Tests of core/audio."""
