"""Data types shared by the loader, the engine and the scan: rules and the load report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from vigile.detection.matchers import Needle, Node

LEVELS = ("informational", "low", "medium", "high", "critical")


@dataclass(slots=True)
class Rule:
    """A compiled Sigma rule. ``channels``/``event_ids`` route events; ``clauses`` prefilter
    (each clause: at least one of its needles occurs in the JSON text of any matching event)."""

    id: str
    title: str
    level: str
    path: str
    product: str | None
    category: str | None
    service: str | None
    condition: Node
    channels: frozenset[str] | None = None
    event_ids: frozenset[str] | None = None
    clauses: tuple[frozenset[Needle], ...] = ()
    index: int = -1

    @property
    def level_rank(self) -> int:
        """Position of the level in :data:`LEVELS` (unknown levels rank lowest)."""
        return LEVELS.index(self.level) if self.level in LEVELS else 0


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """A rule (or file) that failed, or that loaded but is deliberately not applied."""

    path: str
    rule_id: str | None
    title: str | None
    reason: str
    detail: str


@dataclass(slots=True)
class LoadReport:
    """What loading a rule set did: counts and every problem with its reason."""

    files: int = 0
    loaded: int = 0
    compiled: int = 0
    failed: list[RuleProblem] = field(default_factory=list)
    inactive: list[RuleProblem] = field(default_factory=list)
    from_cache: bool = False
    seconds: float = 0.0

    def failures_by_reason(self) -> dict[str, int]:
        """Failure counts per reason, most frequent first."""
        return dict(Counter(p.reason for p in self.failed).most_common())

    def inactive_by_reason(self) -> dict[str, int]:
        """Counts of compiled-but-not-applied rules per reason."""
        return dict(Counter(p.reason for p in self.inactive).most_common())

    def summary(self) -> str:
        """A few human-readable lines for stderr."""
        lines = [
            f"rules: {self.files} files, {self.loaded} loaded, {self.compiled} compiled, "
            f"{len(self.failed)} failed, {len(self.inactive)} not applied"
            f"{' (cached)' if self.from_cache else ''} in {self.seconds:.2f}s"
        ]
        for reason, count in self.failures_by_reason().items():
            lines.append(f"  failed ({reason}): {count}")
        for reason, count in self.inactive_by_reason().items():
            lines.append(f"  not applied ({reason}): {count}")
        return "\n".join(lines)
