"""Rendered reports: French and English HTML carry every section of art. 5; the PDF renders
(read back with pdftotext) with its charts."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.committees.conftest import OP, POLICY, committee, paris, seed_alerts
from tests.conftest import FakeClock
from vigile.committees import render, report, service, terms
from vigile.committees.schemas import ActionIn, CommitteeSettingsIn, ReportData
from vigile.committees.types import Indicator, Lang
from vigile.committees.views import status_line
from vigile.db import transaction
from vigile.tenants import perimeter_service as perimeter
from vigile.tenants.contract_schemas import PerimeterChangeIn, PerimeterChangeKind

IN_PERIOD = "Migration du pare-feu vers FortiOS 7.4"
BEFORE_PERIOD = "Ajout d'un serveur de fichiers"
FRENCH = [
    "Évolutions du périmètre surveillé déclarées sur la période",
    IN_PERIOD,
    "Version logicielle",
    "fw01",
    "Compte-rendu du comité opérationnel",
    "Participants",
    "Alice Martin",
    "RSSI",
    "Indicateurs",
    "Niveau 4 (critique)",
    "Niveau 1 (basse)",
    "Respect du délai de prise en compte de l'alerte",
    "Taux de vrais positifs",
    "25,0",
    "Incidents de sécurité et vrais positifs de la période",
    "Décisions prises en comité",
    "Plan d'action",
    "Déployer l'agent EDR",
    "18 décembre 2026",
    "5 janvier 2027",  # due date: 10 business days, Christmas and New Year skipped
    "Assets surveillés",
    "brouillon",
]
ENGLISH = [
    "Changes to the monitored perimeter declared in the period",
    "Software version",
    "Operational committee report",
    "Participants",
    "Alice Martin",
    "Indicators",
    "Level 4 (critical)",
    "Compliance with the acknowledgement delay",
    "True-positive rate",
    "25.0%",
    "Security incidents and true positives of the period",
    "Decisions taken in committee",
    "Action plan",
    "18 December 2026",
    "5 January 2027",
    "Monitored assets",
]


@pytest.fixture
def data(db: sessionmaker[Session], clock: FakeClock) -> tuple[ReportData, object]:
    seed_alerts(db, clock)
    clock.now = paris(date(2026, 12, 18), 9)
    with transaction(db) as session:
        # Perimeter changes: one inside the period (2026-11-18 .. 2026-12-17), one before it.
        for day, text in ((date(2026, 12, 1), IN_PERIOD), (date(2026, 10, 1), BEFORE_PERIOD)):
            change = PerimeterChangeIn(
                changed_on=day,
                kind=PerimeterChangeKind.SOFTWARE_VERSION,
                description=text,
                affected_assets=["fw01"],
            )
            perimeter.declare_change(session, OP, "acme", change)
        chosen = CommitteeSettingsIn(indicators=list(Indicator))
        terms.set_settings(session, OP, "acme", chosen, clock)
        service.record(session, OP, committee(date(2026, 11, 18)), POLICY, clock)
        items = [ActionIn(title="Déployer l'agent EDR", owner="ACME", due_on=date(2027, 1, 31))]
        held = service.record(
            session, OP, committee(date(2026, 12, 18), actions=items), POLICY, clock
        )
        return report.build(session, OP, held, clock), status_line(held)


def test_french_and_english_html_have_every_section(data: tuple[ReportData, object]) -> None:
    built, line = data
    french = render.html(built, line, Lang.FR)  # type: ignore[arg-type]
    english = render.html(built, line, Lang.EN)  # type: ignore[arg-type]
    assert [s for s in FRENCH if s not in french.replace("&#39;", "'")] == []
    assert [s for s in ENGLISH if s not in english] == []
    assert "serveur de fichiers" not in french  # declared before the period
    assert french.count("<svg") >= 5 and "<script" not in french
    assert "Mimikatz" in english and "Port scan" in english


def test_pdf_renders_in_french(data: tuple[ReportData, object], tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext not found: install poppler-utils (.ci/run does)", pytrace=False)
    built, line = data
    document = render.pdf(built, line, Lang.FR)  # type: ignore[arg-type]
    assert document.startswith(b"%PDF")
    path = tmp_path / "cr.pdf"
    path.write_bytes(document)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in (
        "Compte-rendu",
        "Alice Martin",
        "Bruno Petit",
        "Plan d'action",
        "Décisions prises en comité",
        "vrais positifs",
        "Niveau 4 (critique)",
    ):
        assert expected in text, expected
    assert re.search(r"\b1\s*/\s*\d", text)  # page numbers in the footer
    assert text.lstrip().startswith("Compte-rendu du comité opérationnel")
