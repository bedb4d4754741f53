"""Benchmarks: scripts that measure and save JSON + markdown summaries in bench/results/."""
