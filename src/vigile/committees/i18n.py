"""French and English wording of committee reports (contract wording, see MISSION.md), and
the formatting of dates, numbers, percentages, durations and levels in each language."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from vigile.committees.types import Lang
from vigile.service_levels import Level

LABELS: dict[str, tuple[str, str]] = {
    # (French, English)
    "title": ("Compte-rendu du comité opérationnel", "Operational committee report"),
    "committee": ("Comité opérationnel", "Operational committee"),
    "report": ("Compte-rendu", "Report"),
    "client": ("Client", "Client"),
    "held_on": ("Date du comité", "Committee date"),
    "period": ("Période couverte", "Period covered"),
    "period_text": ("du {start} au {end}", "from {start} to {end}"),
    "previous": ("Comité précédent", "Previous committee"),
    "first_committee": ("premier comité", "first committee"),
    "due_on": (
        "À transmettre au Client pour validation au plus tard le",
        "To be sent to the client for validation by",
    ),
    "status": ("Statut du compte-rendu", "Report status"),
    "status_draft": ("brouillon", "draft"),
    "status_sent": ("transmis au Client le {at} par {by}", "sent to the client on {at} by {by}"),
    "status_validated": ("validé le {at} par {by}", "validated on {at} by {by}"),
    "participants": ("Participants", "Participants"),
    "name": ("Nom", "Name"),
    "organisation": ("Organisation", "Organisation"),
    "role": ("Rôle", "Role"),
    "no_participants": ("Aucun participant enregistré.", "No participant recorded."),
    "indicators": ("Indicateurs", "Indicators"),
    "no_indicators": ("Aucun indicateur retenu.", "No indicator chosen."),
    "not_available": (
        "Indicateur non disponible : {reason}.",
        "Indicator not available: {reason}.",
    ),
    "incidents": (
        "Incidents de sécurité et vrais positifs de la période",
        "Security incidents and true positives of the period",
    ),
    "incidents_from_alerts": (
        "Alertes clôturées comme vrais positifs sur la période (aucun incident de sécurité clos "
        "comme vrai positif).",
        "Alerts closed as true positives in the period (no security incident closed as a true "
        "positive).",
    ),
    "no_true_positive": ("Aucun vrai positif sur la période.", "No true positive in the period."),
    "ref": ("Réf.", "Ref."),
    "opened_at": ("Date", "Date"),
    "closed_at": ("Clôture", "Closed"),
    "title_col": ("Intitulé", "Title"),
    "host": ("Hôte", "Host"),
    "category": ("Catégorie", "Category"),
    "outcome": ("Conclusion", "Outcome"),
    "perimeter": (
        "Évolutions du périmètre surveillé déclarées sur la période",
        "Changes to the monitored perimeter declared in the period",
    ),
    "no_perimeter_change": ("Aucune évolution déclarée.", "No change declared."),
    "changed_on": ("Date", "Date"),
    "change_kind": ("Nature", "Kind"),
    "description": ("Description", "Description"),
    "affected_assets": ("Assets concernés", "Assets affected"),
    "declared_by": ("Déclarée par", "Declared by"),
    "perimeter_kind_configuration": ("Configuration", "Configuration"),
    "perimeter_kind_settings": ("Paramétrage", "Settings"),
    "perimeter_kind_software_version": ("Version logicielle", "Software version"),
    "perimeter_kind_new_service": ("Nouveau service", "New service"),
    "perimeter_kind_removed_service": ("Service retiré", "Service removed"),
    "perimeter_kind_other": ("Autre", "Other"),
    "decisions": ("Décisions prises en comité", "Decisions taken in committee"),
    "no_decisions": ("Aucune décision.", "No decision."),
    "action_plan": ("Plan d'action", "Action plan"),
    "no_actions": ("Aucune action en cours.", "No action item."),
    "action": ("Action", "Action"),
    "owner": ("Responsable", "Owner"),
    "action_due": ("Échéance", "Due date"),
    "action_status": ("Statut", "Status"),
    "origin": ("Décidée le", "Decided on"),
    "carried_over": ("reportée", "carried over"),
    "open": ("ouverte", "open"),
    "in_progress": ("en cours", "in progress"),
    "done": ("terminée", "done"),
    "cancelled": ("annulée", "cancelled"),
    "notes": ("Notes", "Notes"),
    "generated": ("Généré le {at}", "Generated on {at}"),
    "page": ("Page", "Page"),
    # indicators
    "alerts_per_level": ("Alertes par niveau de criticité", "Alerts per criticality level"),
    "sla_compliance": (
        "Respect du délai de prise en compte de l'alerte, par niveau",
        "Compliance with the acknowledgement delay, per level",
    ),
    "ack_times": (
        "Délai de prise en compte de l'alerte : médiane et 90e centile",
        "Time to acknowledge: median and 90th percentile",
    ),
    "true_positive_rate": ("Taux de vrais positifs", "True-positive rate"),
    "incidents_by_category": (
        "Incidents de sécurité par catégorie",
        "Security incidents by category",
    ),
    "top_rules_volume": (
        "Règles de détection générant le plus d'alertes",
        "Detection rules with the most alerts",
    ),
    "top_rules_false_positives": (
        "Règles de détection générant le plus de faux positifs",
        "Detection rules with the most false positives",
    ),
    "source_health": ("État des sources de collecte", "Source health"),
    "assets_vs_subscribed": (
        "Assets surveillés et assets souscrits",
        "Monitored and subscribed assets",
    ),
    # columns and series
    "level": ("Niveau", "Level"),
    "alerts": ("Alertes", "Alerts"),
    "without_sla": (
        "dont avant mise en production (hors niveau de service)",
        "of which before go-live (no service level)",
    ),
    "alerts_with_sla": ("Alertes sous niveau de service", "Alerts under a service level"),
    "on_time": ("Prises en compte dans le délai", "Acknowledged on time"),
    "breaches": ("Dépassements", "Breaches"),
    "pending": ("En cours (délai non échu)", "Pending (deadline not reached)"),
    "compliance": ("Taux de respect", "Compliance rate"),
    "acknowledged": ("Alertes prises en compte", "Alerts acknowledged"),
    "median_business": ("Médiane (Heures Ouvrées)", "Median (business hours)"),
    "p90_business": ("90e centile (Heures Ouvrées)", "90th percentile (business hours)"),
    "median_wall": ("Médiane (temps calendaire)", "Median (wall-clock)"),
    "p90_wall": ("90e centile (temps calendaire)", "90th percentile (wall-clock)"),
    "judged": ("Alertes qualifiées", "Alerts with a verdict"),
    "true_positive": ("Vrais positifs", "True positives"),
    "benign_positive": ("Positifs bénins (activité légitime)", "Benign positives"),
    "false_positive": ("Faux positifs", "False positives"),
    "false_positive_rate": ("Taux de faux positifs", "False-positive rate"),
    "rule": ("Règle de détection", "Detection rule"),
    "verdicts": ("Verdicts", "Verdicts"),
    "incidents_closed": ("Incidents clos", "Incidents closed"),
    "monitored": ("Assets surveillés", "Monitored assets"),
    "subscribed": ("Assets souscrits", "Subscribed assets"),
    "above_subscription": ("Au-delà de la souscription", "Above the subscription"),
    "inventory": ("Assets inventoriés", "Assets in the inventory"),
    "assets": ("Assets", "Assets"),
    "source": ("Source", "Source"),
    "source_type": ("Type", "Type"),
    "events": ("Événements reçus", "Events received"),
    "source_state": ("État", "State"),
    "sources": ("Sources", "Sources"),
    "state_ok": ("active", "active"),
    "state_silent": ("silencieuse", "silent"),
    "incidents_and_alerts": (
        "Incidents de sécurité (I-…) clos comme vrais positifs, et alertes clôturées comme vrais "
        "positifs hors incident (A-…).",
        "Security incidents (I-…) closed as true positives, and alerts closed as true positives "
        "outside any incident (A-…).",
    ),
    "true_positive_impact": ("vrai positif avec impact", "true positive with impact"),
    "true_positive_no_impact": ("vrai positif sans impact", "true positive without impact"),
    "category_malware": ("Logiciel malveillant", "Malware"),
    "category_intrusion": ("Intrusion", "Intrusion"),
    "category_account_compromise": ("Compromission de compte", "Account compromise"),
    "category_data_leak": ("Fuite de données", "Data leak"),
    "category_dos": ("Déni de service", "Denial of service"),
    "category_phishing": ("Hameçonnage", "Phishing"),
    "category_policy": ("Non-respect de la politique de sécurité", "Security policy violation"),
    "category_other": ("Autre", "Other"),
}

_MONTHS = {
    Lang.FR: (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
    Lang.EN: (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


def t(lang: Lang, key: str, **values: str) -> str:
    """The label ``key`` in ``lang`` (the key itself when unknown), with ``{names}`` filled."""
    pair = LABELS.get(key)
    text = key if pair is None else pair[0 if lang is Lang.FR else 1]
    return text.format(**values) if values else text


def level(lang: Lang, value: int) -> str:
    """``Niveau 4 (critique)`` / ``Level 4 (critical)``."""
    lv = Level(value)
    return lv.label if lang is Lang.FR else lv.english_label


def day(lang: Lang, value: date | None) -> str:
    """``18 décembre 2026`` / ``18 December 2026`` (``1er`` for a first of the month)."""
    if value is None:
        return "—"
    month = _MONTHS[lang][value.month - 1]
    number = "1er" if lang is Lang.FR and value.day == 1 else str(value.day)
    return f"{number} {month} {value.year}"


def moment(lang: Lang, value: datetime | None, zone: ZoneInfo) -> str:
    """An instant in the tenant's time zone: ``18 décembre 2026 14:05``."""
    if value is None:
        return "—"
    local = value.astimezone(zone)
    return f"{day(lang, local.date())} {local:%H:%M}"


def number(lang: Lang, value: float | None, digits: int = 0) -> str:
    """A number with the language's decimal mark (``1 234,5`` / ``1,234.5``)."""
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}"
    if lang is Lang.FR:
        text = text.replace(",", "\u202f").replace(".", ",")
    return text


def percent(lang: Lang, share: float | None) -> str:
    """``95,5 %`` / ``95.5%``."""
    if share is None:
        return "—"
    text = number(lang, share * 100, 1)
    return f"{text}\u202f%" if lang is Lang.FR else f"{text}%"


def minutes(lang: Lang, value: float | None) -> str:
    """A duration in minutes: ``45 min``, ``1 h 30``."""
    if value is None:
        return "—"
    total = round(value)
    if total < 60:
        return f"{total} min"
    return f"{total // 60} h {total % 60:02d}"


def cell(lang: Lang, kind: str, value: int | float | str | None) -> str:
    """A table cell of ``kind`` (see :data:`vigile.committees.schemas.CellKind`)."""
    if value is None:
        return "—"
    if kind == "level":
        return level(lang, int(value))
    if kind == "int":
        return number(lang, float(value))
    if kind == "pct":
        return percent(lang, float(value))
    if kind == "minutes":
        return minutes(lang, float(value))
    if kind == "code":
        return t(lang, str(value))
    return str(value)
