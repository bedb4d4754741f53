"""End-of-turn benchmark on recorded human speech and synthetic voices (issue 13)."""
