"""Syslog over TLS (RFC 5425) on a real `vigile serve`: the client certificate binds the
tenant; a client without a certificate, or with an unbound one, stores nothing."""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from tests.ingest.live import WHOAMI_RULE, free_port
from tests.ingest.syslog_live import api_get, make_ca, make_cert, syslog_server, wait_for
from tests.web.conftest import build_world
from vigile.config import Settings

WINDOW = {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}


def frame(msg: bytes) -> bytes:
    return str(len(msg)).encode() + b" " + msg


def send_tls(port: int, ca: Path, cert: tuple[Path, Path] | None, frames: list[bytes]) -> None:
    context = ssl.create_default_context(cafile=str(ca))
    if cert is not None:
        context.load_cert_chain(str(cert[0]), str(cert[1]))
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(b"".join(frame(f) for f in frames))
        time.sleep(0.2)


def test_client_certificate_binds_the_tenant(
    lite_settings: Settings, clock: Callable[[], datetime], tmp_path: Path
) -> None:
    world = build_world(lite_settings, clock)
    pki = tmp_path / "pki"
    pki.mkdir()
    ca = make_ca(pki)
    server_cert = make_cert(pki, ca, "localhost", "DNS:localhost,IP:127.0.0.1")
    alpha_cert = make_cert(pki, ca, "collector.alpha.example", "DNS:collector.alpha.example")
    stranger = make_cert(pki, ca, "stranger.example", "DNS:stranger.example")
    rules = tmp_path / "rules.yml"
    rules.write_text(WHOAMI_RULE, encoding="utf-8")
    tls_port = free_port()
    server = syslog_server(
        lite_settings.effective_database_url,
        lite_settings.data_dir,
        rules,
        VIGILE_SYSLOG_TLS_PORT=str(tls_port),
        VIGILE_SYSLOG_TLS_CERT=str(server_cert[0]),
        VIGILE_SYSLOG_TLS_KEY=str(server_cert[1]),
        VIGILE_SYSLOG_TLS_CLIENT_CA=str(ca[0]),
        VIGILE_SYSLOG_BINDINGS="collector.alpha.example=alpha",
    )
    server.start()
    admin = world.headers["admin"]
    try:
        msgs = [
            f'<34>1 2026-11-26T08:00:0{i}Z fw01 su - ID47 [vigile tenant="beta"] tls #{i}'.encode()
            for i in range(5)
        ]
        send_tls(tls_port, ca[0], alpha_cert, msgs)
        # A certificate of the same CA but bound to no tenant: the connection is closed.
        send_tls(tls_port, ca[0], stranger, [b"<34>1 - stranger - - - - unbound"])
        # No client certificate: refused by the server (TLS 1.3 reports it after the
        # client's handshake, so the client may or may not see an error); nothing stored.
        with contextlib.suppress(ssl.SSLError, OSError):
            send_tls(tls_port, ca[0], None, [b"<34>1 - anon - - - - anonymous"])

        def alpha_sources() -> list[dict[str, object]]:
            items: list[dict[str, object]] = api_get(server, admin, "/api/v1/sources")["items"]
            return items

        wait_for(lambda: sum(int(str(s["event_count"])) for s in alpha_sources()) >= 5)
        time.sleep(1.0)  # anything wrongly accepted would have arrived by now
        sources = alpha_sources()
        assert [(s["tenant"], s["receiver"], s["host"], s["event_count"]) for s in sources] == [
            ("alpha", "syslog", "fw01", 5)
        ]
        found = api_get(server, admin, "/api/v1/events", tenant="alpha", **WINDOW)
        assert found["total"] == 5
        beta = api_get(server, admin, "/api/v1/events", tenant="beta", **WINDOW)
        assert beta["total"] == 0
    finally:
        server.stop()
