"""Benchmarks and message generation for stuf-fin."""
