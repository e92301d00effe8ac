"""Syslog listeners of `vigile serve`: UDP and TCP on one port, TLS on another.

Each connection's frames are accepted (parsed, spooled durably, bad ones quarantined) before
more is read from it, so a spool that pushes back (:class:`SpoolFull`) stops the reads and
TCP's own flow control slows the sender: back-pressure without growing memory. UDP has no
such channel; datagrams that cannot be spooled are dropped and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from vigile.config import Settings
from vigile.db import transaction
from vigile.errors import VigileError
from vigile.ingest import service
from vigile.ingest.bindings import Binding, Bindings, parse_specs
from vigile.ingest.framing import Framer
from vigile.ingest.intake import Incoming
from vigile.ingest.parsers.model import TRUNCATED
from vigile.scope import CallerScope, Role
from vigile.spool.api import SpoolBackend, SpoolFull
from vigile.tenants import service as tenants

SYSLOG = CallerScope(principal="system:syslog", role=Role.ADMIN, tenant_ids=None)
MAX_MESSAGE = 64 * 1024
log = logging.getLogger(__name__)


@dataclass
class Counters:
    accepted: int = 0
    rejected: int = 0
    unbound: int = 0
    dropped: int = 0


@dataclass
class SyslogService:
    """Accepts frames for bound sources; shared by every listener."""

    spool: SpoolBackend
    sessions: sessionmaker[Session]
    clock: Callable[[], datetime]
    bindings: Bindings
    counters: Counters = field(default_factory=Counters)

    def accept(self, binding: Binding, peer: str, frames: list[tuple[bytes, bool]]) -> None:
        """Spool frames of one source (raises SpoolFull: nothing stored)."""
        records = [
            Incoming(
                data,
                source_type=binding.source_type,
                host=peer,
                extra={TRUNCATED: True} if cut else {},
            )
            for data, cut in frames
        ]
        outcome = service.accept_batch(
            self.sessions, SYSLOG, binding.tenant_id, self.spool, records,
            receiver="syslog", clock=self.clock,
        )  # fmt: skip
        self.counters.accepted += len(outcome.intake.accepted)
        self.counters.rejected += len(outcome.intake.rejected)


def load_bindings(sessions: sessionmaker[Session], text: str) -> Bindings:
    """Resolve the configured slugs (an unknown slug is an error at start-up)."""
    specs = parse_specs(text)
    with transaction(sessions) as session:
        return Bindings([(s, tenants.get_tenant(session, SYSLOG, s.slug).id) for s in specs])


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, svc: SyslogService) -> None:
        self.svc = svc
        self.queue: asyncio.Queue[tuple[Binding, str, bytes]] = asyncio.Queue(10_000)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        binding = self.svc.bindings.for_address(addr[0])
        if binding is None:
            self.svc.counters.unbound += 1
            return
        try:
            self.queue.put_nowait((binding, addr[0], data[:MAX_MESSAGE]))
        except asyncio.QueueFull:
            self.svc.counters.dropped += 1

    async def drain(self) -> None:
        """Accept queued datagrams in batches (per source)."""
        while True:
            first = await self.queue.get()
            items = [first]
            while not self.queue.empty() and len(items) < 1000:
                items.append(self.queue.get_nowait())
            by_source: dict[tuple[Binding, str], list[tuple[bytes, bool]]] = {}
            for binding, peer, data in items:
                by_source.setdefault((binding, peer), []).append((data.rstrip(b"\n\x00"), False))
            for (binding, peer), frames in by_source.items():
                try:
                    await asyncio.to_thread(self.svc.accept, binding, peer, frames)
                except SpoolFull:
                    self.svc.counters.dropped += len(frames)
                except Exception:
                    log.exception("syslog/udp: batch from %s lost", peer)
                    self.svc.counters.dropped += len(frames)


async def _tcp(svc: SyslogService, reader: asyncio.StreamReader, writer: Any) -> None:
    peer = str(writer.get_extra_info("peername")[0])
    binding = svc.bindings.for_certificate(writer.get_extra_info("peercert"))
    binding = binding or svc.bindings.for_address(peer)
    if binding is None:
        svc.counters.unbound += 1
        log.warning("syslog: connection from unbound source %s closed", peer)
        writer.close()
        return
    framer = Framer(MAX_MESSAGE)
    try:
        while True:
            chunk = await reader.read(256 * 1024)
            frames = framer.feed(chunk) if chunk else framer.flush()
            if frames:
                batch = [(f.data, f.truncated) for f in frames]
                while True:
                    try:
                        await asyncio.to_thread(svc.accept, binding, peer, batch)
                        break
                    except SpoolFull:  # stop reading: TCP flow control holds the sender
                        await asyncio.sleep(0.5)
            if not chunk:
                return
    except (ConnectionError, ssl.SSLError) as exc:
        log.info("syslog: %s: %s", peer, exc)
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


@dataclass
class SyslogListeners:
    """The running listeners; :meth:`close` stops them."""

    service: SyslogService
    servers: list[asyncio.base_events.Server] = field(default_factory=list)
    transports: list[asyncio.BaseTransport] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    ports: dict[str, int] = field(default_factory=dict)

    async def close(self) -> None:
        for server in self.servers:
            server.close()
        for transport in self.transports:
            transport.close()
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """Server TLS when a certificate is configured (client certificates if a CA is)."""
    if settings.syslog_tls_cert is None or settings.syslog_tls_port == 0:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(settings.syslog_tls_cert, settings.syslog_tls_key)
    if settings.syslog_tls_client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(settings.syslog_tls_client_ca)
    return context


async def start(settings: Settings, svc: SyslogService) -> SyslogListeners:
    """Bind what the settings ask for; a port that cannot be bound is logged, not fatal."""
    out = SyslogListeners(svc)
    host, port = settings.syslog_host, settings.syslog_port
    loop = asyncio.get_running_loop()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _tcp(svc, reader, writer)

    try:
        if port and settings.syslog_tcp:
            server = await asyncio.start_server(handler, host, port, limit=MAX_MESSAGE)
            out.servers.append(server)
            out.ports["tcp"] = server.sockets[0].getsockname()[1]
        if port and settings.syslog_udp:
            udp_port = out.ports.get("tcp", port)
            transport, protocol = await loop.create_datagram_endpoint(
                lambda: _Udp(svc), local_addr=(host, udp_port)
            )
            out.transports.append(transport)
            out.tasks.append(asyncio.create_task(protocol.drain(), name="syslog-udp"))
            out.ports["udp"] = transport.get_extra_info("sockname")[1]
        context = tls_context(settings)
        if context is not None:
            server = await asyncio.start_server(
                handler, host, settings.syslog_tls_port, ssl=context, limit=MAX_MESSAGE
            )
            out.servers.append(server)
            out.ports["tls"] = server.sockets[0].getsockname()[1]
    except OSError as exc:
        log.error("syslog: cannot listen on %s: %s", host, exc)
    return out


async def start_in_app(
    state: Any, settings: Settings, clock: Callable[[], datetime]
) -> SyslogListeners | None:
    """The listeners of a `vigile serve` app (None when syslog is off or misconfigured)."""
    if not settings.syslog_enabled or (settings.syslog_port == 0 and tls_context(settings) is None):
        return None
    try:
        bindings = await asyncio.to_thread(load_bindings, state.sessions, settings.syslog_bindings)
    except (ValueError, VigileError) as exc:
        log.error("syslog: not started: %s", exc)
        return None
    svc = SyslogService(state.ingest.spool, state.sessions, clock, bindings)
    return await start(settings, svc)
