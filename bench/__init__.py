"""Benchmarks and the reference Sigma evaluator (pySigma SQLite backend, as Zircolite does)."""
