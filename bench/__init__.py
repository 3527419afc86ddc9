"""Benchmarks and load scripts (run as `python bench/<script>.py`); workload.py builds their requests."""
