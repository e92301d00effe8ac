"""Detection: Sigma rules compiled into fast matchers. Pure compute: no web, DB or network."""
