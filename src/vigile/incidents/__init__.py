"""Incidents: alerts of one tenant confirmed as a threat, their timeline, evidence, escalation
to the client's referents, containment actions and their connectors, exports."""
