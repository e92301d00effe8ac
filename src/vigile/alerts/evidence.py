"""Matching events as evidence: canonical JSON, content hash, assets, deduplication key. Pure.

The content hash is the SHA-256 of the canonical JSON of an event (keys sorted at every depth,
no insignificant whitespace, UTF-8), so the same event always gets the same hash.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from vigile.dbtext import sql_text

# Field names (compared case-insensitively, dotted paths for nested objects) that name assets,
# in order of preference: Windows/Sysmon, ECS, CEF/LEEF and common syslog/JSON spellings.
HOST_FIELDS = (
    "computer",
    "computername",
    "host.name",
    "host.hostname",
    "hostname",
    "host",
    "devicename",
    "dvchost",
    "workstationname",
    "workstation",
)
USER_FIELDS = (
    "targetusername",
    "subjectusername",
    "user",
    "username",
    "user.name",
    "accountname",
    "samaccountname",
    "suser",
    "duser",
)
IP_FIELDS = (
    "ipaddress",
    "sourceip",
    "sourceaddress",
    "destinationip",
    "destaddress",
    "source.ip",
    "destination.ip",
    "client.ip",
    "clientip",
    "src_ip",
    "dest_ip",
    "src",
    "dst",
    "host.ip",
)
_EMPTY = {"", "-", "n/a", "null", "none"}


@dataclass(frozen=True)
class Assets:
    """Hosts, user accounts and IP addresses named by the matching events, in order seen."""

    hosts: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, list[str]]:
        return {"hosts": list(self.hosts), "users": list(self.users), "ips": list(self.ips)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Iterable[str]]) -> Assets:
        return cls(
            hosts=tuple(data.get("hosts", ())),
            users=tuple(data.get("users", ())),
            ips=tuple(data.get("ips", ())),
        )

    def merge(self, other: Assets) -> Assets:
        return Assets(
            hosts=_union(self.hosts, other.hosts),
            users=_union(self.users, other.users),
            ips=_union(self.ips, other.ips),
        )


_CANONICAL = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def canonical_json(event: Mapping[str, Any]) -> str:
    """The canonical JSON text of an event (sorted keys at every depth, compact)."""
    return orjson.dumps(event, option=_CANONICAL).decode()


def content_hash(event: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``event``."""
    # orjson's output is that text's UTF-8 already: no decoding and encoding it back.
    return hashlib.sha256(orjson.dumps(event, option=_CANONICAL)).hexdigest()


class CanonicalJson(str):
    """An event given as its :func:`canonical_json` text, written where the event was (a
    detection process, which hashed it): kept as evidence as it is, not written again."""

    __slots__ = ()


Evidence = Mapping[str, Any] | CanonicalJson
"""A matching event, as a mapping or already written as its canonical JSON."""


def canonical(event: Mapping[str, Any]) -> tuple[str, str]:
    """:func:`canonical_json` and :func:`content_hash` of ``event``, from one serialisation."""
    data = orjson.dumps(event, option=_CANONICAL)
    return data.decode(), hashlib.sha256(data).hexdigest()


def evidence_json(event: Evidence) -> str:
    """The canonical JSON text of an evidence event (a plain ``str``, for the drivers)."""
    return str(event) if isinstance(event, CanonicalJson) else canonical_json(event)


def as_mapping(event: Evidence) -> Mapping[str, Any]:
    """An evidence event as a mapping (a :class:`CanonicalJson` read back)."""
    if isinstance(event, CanonicalJson):
        loaded: dict[str, Any] = orjson.loads(str(event))  # orjson reads exact str only
        return loaded
    return event


def flatten(event: Mapping[str, Any]) -> dict[str, Any]:
    """Lower-cased dotted keys to scalar values (``{"host": {"name": x}}`` → ``host.name``)."""
    flat: dict[str, Any] = {}
    _walk(flat, "", event)
    return flat


_LEAVES = frozenset({str, int, float, bool, type(None), list})


def _walk(flat: dict[str, Any], prefix: str, mapping: Mapping[str, Any]) -> None:
    # The leaf test by exact type first: an ABC isinstance per value dominated the cost.
    for key, value in mapping.items():
        name = f"{prefix}.{key}".lower() if prefix else str(key).lower()
        if type(value) not in _LEAVES and isinstance(value, Mapping):
            _walk(flat, name, value)
        else:
            flat.setdefault(name, value)


def extract_assets(events: Iterable[Mapping[str, Any]]) -> Assets:
    """Hosts, users and IPs named by ``events`` (values normalised, duplicates dropped)."""
    return _merged([event_assets(event) for event in events])


def event_assets(event: Mapping[str, Any]) -> Assets:
    """:func:`extract_assets` of one event."""
    return _flat_assets(flatten(event))


_ASSET_FIELDS = (*HOST_FIELDS, *USER_FIELDS, *IP_FIELDS)
_ASSET_NAMES = frozenset(_ASSET_FIELDS)
_WATCHED = frozenset(
    [*_ASSET_FIELDS, ""]
    + [name[:i] for name in _ASSET_FIELDS for i, c in enumerate(name) if c == "."]
)
"""Lower-cased keys whose mapping value :func:`flatten` walks into an asset field: asset
names, their dotted prefixes, and the empty key (its mapping's keys keep their names)."""
_PLANS_MAX = 4096
_KNOWN_MAX = 4096
_TEXT_OR_NONE = frozenset({str, type(None)})


@dataclass(slots=True)
class _Plan:
    """How to read the assets of the flat events that share one key sequence."""

    watch: tuple[Any, ...]
    """Keys naming an asset field or a prefix of one: with a mapping value there, the
    general path (which walks mappings) applies."""
    names: tuple[str, ...]
    """The asset fields present, in :data:`_ASSET_FIELDS` order."""
    pick: Callable[[Mapping[Any, Any]], tuple[Any, ...]]
    """Their values in an event (the first key spelling each, as :func:`flatten` keeps)."""
    known: dict[tuple[Any, ...], Assets]
    """Assets by picked values (text or None only: ``1 == True`` would share an entry)."""


_PLANS: dict[tuple[Any, ...], _Plan] = {}


def flat_event_assets(event: Mapping[str, Any]) -> Assets:
    """:func:`event_assets`, faster for the flat field dicts of the pipeline's events: which
    keys name assets is worked out once per distinct key sequence (the events of a source
    share theirs), and the assets once per distinct set of their values, instead of
    lower-casing every key of every event. Same result; an event with a mapping where the
    general path would walk it into an asset field takes the general path."""
    keys = tuple(event)
    plan = _PLANS.get(keys)
    if plan is None:
        if len(_PLANS) >= _PLANS_MAX:  # bounded: key sequences of free-form JSON vary
            _PLANS.clear()
        plan = _PLANS[keys] = _asset_plan(keys)
    for key in plan.watch:
        value = event[key]
        # The exact type first: an ABC isinstance per watched value cost a third of this.
        if type(value) not in _LEAVES and isinstance(value, Mapping):
            return event_assets(event)
    values = plan.pick(event)
    if not _TEXT_OR_NONE.issuperset(map(type, values)):
        return _assets_from(dict(zip(plan.names, values, strict=True)))
    known = plan.known.get(values)
    if known is None:
        if len(plan.known) >= _KNOWN_MAX:
            plan.known.clear()
        known = plan.known[values] = _assets_from(dict(zip(plan.names, values, strict=True)))
    return known


def _asset_plan(keys: tuple[Any, ...]) -> _Plan:
    first: dict[str, Any] = {}
    watch: list[Any] = []
    for key in keys:
        name = str(key).lower()
        if name in _WATCHED:
            watch.append(key)
        if name in _ASSET_NAMES and name not in first:
            first[name] = key
    names = tuple(name for name in _ASSET_FIELDS if name in first)
    picked = [first[name] for name in names]
    pick: Callable[[Mapping[Any, Any]], tuple[Any, ...]]
    if len(picked) > 1:
        pick = operator.itemgetter(*picked)
    elif picked:
        only = picked[0]
        pick = lambda event: (event[only],)  # noqa: E731  (itemgetter of one key: no tuple)
    else:
        pick = lambda event: ()  # noqa: E731
    return _Plan(tuple(watch), names, pick, {})


def _flat_assets(flat: Mapping[str, Any]) -> Assets:
    values = tuple(flat.get(name) for name in _ASSET_FIELDS)
    if all(v is None or type(v) is str for v in values):
        return _assets_of(values)  # the usual case, and the same few values recur
    return _assets_of.__wrapped__(values)


@functools.lru_cache(maxsize=4096)
def _assets_of(values: tuple[Any, ...]) -> Assets:
    """The assets of the values of :data:`_ASSET_FIELDS` (cached for text values only:
    ``1 == True`` would share an entry)."""
    return _assets_from(dict(zip(_ASSET_FIELDS, values, strict=True)))


def _assets_from(flat: Mapping[str, Any]) -> Assets:
    """The assets of a flat event (lower-cased names) of asset fields."""
    return Assets(
        hosts=tuple(_values(flat, HOST_FIELDS, _host)),
        users=tuple(_values(flat, USER_FIELDS, _text)),
        ips=tuple(_values(flat, IP_FIELDS, _ip)),
    )


def _merged(each: Sequence[Assets]) -> Assets:
    if len(each) == 1:
        return each[0]
    return Assets(
        hosts=_union((), [h for a in each for h in a.hosts]),
        users=_union((), [u for a in each for u in a.users]),
        ips=_union((), [i for a in each for i in a.ips]),
    )


@dataclass(frozen=True, slots=True)
class Prepared:
    """What raising a detection derives from its events: the dedup key, the assets and
    each event's :func:`content_hash`.

    Computed ahead (:func:`prepare`) by a caller that has the events at hand in another
    process (the pipeline's detection processes), so the writer does not flatten and hash
    them again.
    """

    key: str
    assets: Assets
    hashes: tuple[str, ...]

    def __reduce__(self) -> tuple[type[Prepared], tuple[str, Assets, tuple[str, ...]]]:
        # The constructor's arguments: a slots dataclass otherwise pickles through
        # dataclasses' Python-level __getstate__/__setstate__ (the pipeline sends one per hit).
        return Prepared, (self.key, self.assets, self.hashes)


def prepare(
    rule_id: str, events: Sequence[Mapping[str, Any]], key_fields: Iterable[str] = ()
) -> Prepared:
    """:func:`dedup_key` of the first event, :func:`extract_assets` of all of them, and
    their hashes."""
    hashes = tuple(content_hash(event) for event in events)
    if key_fields:
        key = dedup_key(rule_id, events[0], key_fields)
        return Prepared(key, extract_assets(events), hashes)
    each = [event_assets(event) for event in events]
    return Prepared(_default_key(rule_id, each[0]), _merged(each), hashes)


def prepare_rules(rule_ids: Sequence[str], assets: Assets, digest: str) -> list[Prepared]:
    """:func:`prepare` for each of several rules matching one event, from the event's
    :func:`event_assets` and :func:`content_hash`."""
    return [Prepared(_default_key(rule_id, assets), assets, (digest,)) for rule_id in rule_ids]


def dedup_key(rule_id: str, event: Mapping[str, Any], key_fields: Iterable[str] = ()) -> str:
    """Key under which matches of one rule join the same open alert.

    Made of the rule, the event's host, and the values of the rule's salient ``key_fields``
    (by default the user account named by the event).
    """
    flat = flatten(event)
    fields = sorted({f.lower() for f in key_fields})
    if not fields:
        return _default_key(rule_id, _flat_assets(flat))
    host = next(iter(_values(flat, HOST_FIELDS, _host)), "")
    salient = [[f, _text(flat.get(f)) or ""] for f in fields]
    return _key_of(rule_id, host, salient)


def _default_key(rule_id: str, assets: Assets) -> str:
    """The key on the host and the user account (the first of each the event names)."""
    host = assets.hosts[0] if assets.hosts else ""
    user = assets.users[0] if assets.users else ""
    return _user_key(rule_id, host, user)


@functools.lru_cache(maxsize=4096)
def _user_key(rule_id: str, host: str, user: str) -> str:
    """:func:`_key_of` on the user account (cached: a rule's hits recur on the same few
    hosts and users)."""
    return _key_of(rule_id, host, [["user", user]])


def _key_of(rule_id: str, host: str, salient: list[list[str]]) -> str:
    material = orjson.dumps([rule_id, host, salient]).decode()
    return hashlib.sha256(material.encode()).hexdigest()


def _values(flat: Mapping[str, Any], names: Iterable[str], clean: Any) -> list[str]:
    found: list[str] = []
    for name in names:
        value = flat.get(name)
        items = value if isinstance(value, list) else [value]
        for item in items:
            cleaned = clean(item)
            if cleaned and cleaned not in found:
                found.append(cleaned)
    return found


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list | bool):
        return None
    text = sql_text(str(value).strip())  # stored in the alert's and the assets' columns
    return None if text.lower() in _EMPTY else text


def _host(value: Any) -> str | None:
    text = _text(value)
    return text.lower() if text else None


def _ip(value: Any) -> str | None:
    text = _text(value)
    return None if text is None else _canonical_ip(text)


@functools.lru_cache(maxsize=4096)
def _canonical_ip(text: str) -> str | None:
    """The canonical spelling of an address (parsing is costly; addresses recur)."""
    if text.lower().startswith("::ffff:"):
        text = text[7:]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _union(first: Iterable[str], second: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*first, *second]))
