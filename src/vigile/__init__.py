"""Vigile: a multi-tenant SOC platform."""
