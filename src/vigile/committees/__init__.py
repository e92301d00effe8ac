"""Operational committees (contract art. 5): schedule, records, indicators and reports.

A committee is held at the recurrence of the offer; its report (compte-rendu) lists the
participants, the indicators chosen during build, the incidents / true positives of the period
since the previous committee, the decisions and the action plan, and is due to the client for
validation within 10 business days of the provider's calendar.
"""
