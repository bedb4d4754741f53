"""Tests of core/stt."""
