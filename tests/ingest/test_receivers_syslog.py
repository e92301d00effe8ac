"""Syslog: RFC 6587 framing (both kinds on one stream), and real UDP/TCP listeners."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.web.conftest import World
from vigile.config import Settings
from vigile.db import make_engine, make_sessionmaker
from vigile.ingest.bindings import parse_specs
from vigile.ingest.envelope import Envelope
from vigile.ingest.framing import Framer
from vigile.ingest.runtime import IngestRuntime
from vigile.ingest.syslog_server import SyslogListeners, SyslogService, load_bindings, start

MSG1 = b"<34>1 2026-11-26T08:00:00Z fw01 su - ID47 - 'su root' failed for bob"
MSG2 = b"<13>Nov 26 09:00:00 web01 sshd[42]: Accepted password for alice"


def octet(msg: bytes) -> bytes:
    return str(len(msg)).encode() + b" " + msg


def test_both_framings_on_one_stream_any_chunking() -> None:
    stream = octet(MSG1) + MSG2 + b"\n" + octet(MSG2 + b"\nwith LF inside") + MSG1 + b"\r\n"
    expected = [MSG1, MSG2, MSG2 + b"\nwith LF inside", MSG1]
    for size in (1, 3, 7, 64, len(stream)):
        framer = Framer()
        frames = []
        for i in range(0, len(stream), size):
            frames += framer.feed(stream[i : i + size])
        assert [f.data for f in frames] == expected, size


def test_oversized_frames_are_cut_flagged_and_skipped() -> None:
    framer = Framer(max_bytes=100)
    big = b"<13>" + b"x" * 500
    frames = framer.feed(octet(big) + big + b"\n" + MSG2 + b"\n")
    assert [(len(f.data), f.truncated) for f in frames] == [
        (100, True),
        (100, True),
        (len(MSG2), False),
    ]


@given(st.binary(max_size=2000), st.integers(1, 50))
def test_framer_never_fails_nor_grows(data: bytes, size: int) -> None:
    framer = Framer(max_bytes=256)
    for i in range(0, len(data), size):
        for frame in framer.feed(data[i : i + size]):
            assert len(frame.data) <= 256
    framer.flush()


def test_binding_specs() -> None:
    specs = parse_specs("10.0.0.0/8=alpha, 127.0.0.1=beta:cef, fw.example=alpha")
    assert [(s.key, s.slug, s.source_type) for s in specs][1] == ("127.0.0.1", "beta", "cef")
    with pytest.raises(ValueError):
        parse_specs("10.0.0.0/8")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def listeners(
    lite_settings: Settings, lite_world: World, clock: Callable[[], datetime]
) -> Iterator[tuple[SyslogListeners, IngestRuntime]]:
    settings = lite_settings.model_copy(
        update={"syslog_port": _free_port(), "syslog_bindings": "127.0.0.0/8=alpha,10.9.9.9=beta"}
    )
    runtime = IngestRuntime(settings)
    engine = make_engine(settings.effective_database_url)
    sessions = make_sessionmaker(engine)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def begin() -> SyslogListeners:
        bindings = load_bindings(sessions, settings.syslog_bindings)
        return await start(settings, SyslogService(runtime.spool, sessions, clock, bindings))

    started = asyncio.run_coroutine_threadsafe(begin(), loop).result(10)
    yield started, runtime
    asyncio.run_coroutine_threadsafe(started.close(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    runtime.close()
    engine.dispose()


def _spooled(runtime: IngestRuntime, want: int) -> list[tuple[str, Envelope]]:
    got: list[tuple[str, Envelope]] = []
    deadline = time.monotonic() + 10
    while len(got) < want and time.monotonic() < deadline:
        batch = runtime.spool.read("test", 1000, timeout=0.2)
        got += [(r.tenant_id, Envelope.decode(r.data)) for r in batch.records]
    return got


def test_tcp_and_udp_on_one_port(
    listeners: tuple[SyslogListeners, IngestRuntime], lite_world: World
) -> None:
    running, runtime = listeners
    port = running.ports["tcp"]
    assert running.ports["udp"] == port
    with socket.create_connection(("127.0.0.1", port)) as tcp:
        tcp.sendall(octet(MSG1) + MSG2 + b"\n" + octet(MSG1.replace(b"bob", b"eve")))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(MSG2.replace(b"alice", b"carol"), ("127.0.0.1", port))
    got = _spooled(runtime, 4)
    alpha = str(lite_world.tenant_ids["alpha"])
    assert len(got) == 4 and {tenant for tenant, _ in got} == {alpha}
    hosts = sorted(str(env.event.host) for _, env in got)
    assert hosts == ["fw01", "fw01", "web01", "web01"]
    assert running.service.counters.accepted == 4


def test_tenant_is_never_taken_from_the_message(
    listeners: tuple[SyslogListeners, IngestRuntime], lite_world: World
) -> None:
    running, runtime = listeners
    # The message claims beta's host and index; the source address binds it to alpha.
    forged = b'<13>1 2026-11-26T08:00:00Z 10.9.9.9 app - - [vigile tenant="beta"] hello'
    with socket.create_connection(("127.0.0.1", running.ports["tcp"])) as tcp:
        tcp.sendall(forged + b"\n")
    got = _spooled(runtime, 1)
    assert [tenant for tenant, _ in got] == [str(lite_world.tenant_ids["alpha"])]
