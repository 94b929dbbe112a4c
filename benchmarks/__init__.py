"""Benchmarks, run by hand with ``make bench`` (never as timed tests).

Each benchmark measures its subject and a baseline in the same run and reports the ratio, since
absolute numbers on shared machines are noise.
"""
