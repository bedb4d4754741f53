"""Local stand-ins that speak real wire protocols, for tests."""
