"""Criticality levels: names, labels, delays and the Sigma mapping."""

from __future__ import annotations

from datetime import timedelta

import pytest

from vigile.service_levels import Level, UnknownLevelError


@pytest.mark.parametrize(
    ("level", "english", "french", "label", "delay"),
    [
        (Level.CRITICAL, "critical", "critique", "Niveau 4 (critique)", timedelta(minutes=90)),
        (Level.HIGH, "high", "haute", "Niveau 3 (haute)", timedelta(hours=3)),
        (Level.MEDIUM, "medium", "moyenne", "Niveau 2 (moyenne)", timedelta(hours=5)),
        (Level.LOW, "low", "basse", "Niveau 1 (basse)", timedelta(hours=8)),
    ],
)
def test_level_names_and_delays(level, english, french, label, delay):
    assert level.english == english
    assert level.french == french
    assert level.label == label
    assert level.delay == delay
    assert level.english_label == f"Level {int(level)} ({english})"


def test_values_are_contract_numbers():
    assert [int(lv) for lv in (Level.LOW, Level.MEDIUM, Level.HIGH, Level.CRITICAL)] == [1, 2, 3, 4]
    assert Level.CRITICAL > Level.HIGH > Level.MEDIUM > Level.LOW


@pytest.mark.parametrize(
    ("sigma", "level"),
    [
        ("critical", Level.CRITICAL),
        ("high", Level.HIGH),
        ("medium", Level.MEDIUM),
        ("low", Level.LOW),
        ("informational", Level.LOW),
        (" High ", Level.HIGH),
    ],
)
def test_from_sigma(sigma, level):
    assert Level.from_sigma(sigma) is level


def test_from_sigma_unknown():
    with pytest.raises(UnknownLevelError, match=r"unknown Sigma level 'urgent'.*informational"):
        Level.from_sigma("urgent")


@pytest.mark.parametrize(
    ("value", "level"),
    [(4, Level.CRITICAL), ("3", Level.HIGH), ("moyenne", Level.MEDIUM), ("LOW", Level.LOW)],
)
def test_parse(value, level):
    assert Level.parse(value) is level


@pytest.mark.parametrize("value", [0, 5, "5", "urgent", True])
def test_parse_refuses(value):
    with pytest.raises(UnknownLevelError, match="expected one of 4/critical/critique"):
        Level.parse(value)
    assert issubclass(UnknownLevelError, ValueError)
