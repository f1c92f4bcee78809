"""Benchmarks: `make bench` runs them all; each prints ratios against its comparison."""
