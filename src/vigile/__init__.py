"""Vigile: a multi-tenant SOC platform."""

__version__ = "0.1.0"
