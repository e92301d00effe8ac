"""Assets: the monitored perimeter, discovery from events, and the true-up (art. 4)."""
