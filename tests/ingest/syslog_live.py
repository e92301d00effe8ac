"""Helpers of the live syslog tests: certificates (openssl CLI), a syslog-enabled server,
and reading back what the server's pipeline recorded (through its API)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ingest.live import LiveServer, free_port


def require_tool(name: str) -> str:
    """The path of a CLI tool; a clear failure (never a silent skip) when it is missing."""
    path = shutil.which(name) or (
        f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None
    )
    if path is None:
        pytest.fail(f"{name} is not installed (Debian package; .ci/run installs it)", pytrace=False)
    return path


def _openssl(*args: str) -> None:
    subprocess.run([require_tool("openssl"), *args], check=True, capture_output=True)


def make_ca(folder: Path) -> tuple[Path, Path]:
    """A self-signed CA (certificate, key)."""
    cert, key = folder / "ca.pem", folder / "ca.key"
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Vigile test CA",
        "-keyout",
        str(key),
        "-out",
        str(cert),
    )
    return cert, key


def make_cert(folder: Path, ca: tuple[Path, Path], name: str, san: str) -> tuple[Path, Path]:
    """A certificate for ``name`` signed by ``ca`` (server or client), with SAN ``san``."""
    key, csr, cert = folder / f"{name}.key", folder / f"{name}.csr", folder / f"{name}.pem"
    ext = folder / f"{name}.ext"
    ext.write_text(f"subjectAltName={san}\n", encoding="utf-8")
    _openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        f"/CN={name}",
        "-keyout",
        str(key),
        "-out",
        str(csr),
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        str(csr),
        "-CA",
        str(ca[0]),
        "-CAkey",
        str(ca[1]),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        str(ext),
        "-out",
        str(cert),
    )
    return cert, key


def syslog_server(settings_url: str, data_dir: Path, rules: Path, **env: str) -> LiveServer:
    """A live server with syslog on free ports (``server.syslog_port``)."""
    server = LiveServer(settings_url, data_dir, rules)
    port = free_port()
    server.env.update(VIGILE_SYSLOG_PORT=str(port), VIGILE_SOURCE_WATCH_SECONDS="0", **env)
    server.syslog_port = port  # type: ignore[attr-defined]
    return server


def api_get(server: LiveServer, headers: dict[str, str], path: str, **params: Any) -> Any:
    answer = httpx.get(server.url + path, headers=headers, params=params, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
