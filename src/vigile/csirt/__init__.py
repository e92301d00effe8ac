"""CSIRT subscription (incident response): terms, prepaid credits, time spent (art. 4)."""
