"""Benchmarks that print figures; never run as tests and never asserted."""
