"""Offline scanning of EVTX and JSON-lines files with the detection engine (`vigile scan`)."""
