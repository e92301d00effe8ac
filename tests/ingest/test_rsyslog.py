"""rsyslog (Debian) as a real shipper: `omfwd` to `vigile serve` over TCP with octet-counted
framing and over UDP; the tenant comes from the source address binding."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from tests.ingest.live import WHOAMI_RULE, free_port
from tests.ingest.syslog_live import api_get, require_tool, syslog_server, wait_for
from tests.web.conftest import build_world
from vigile.config import Settings

WINDOW = {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z", "limit": 500}
CONFIG = """
global(workDirectory="{work}")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="{to_tcp}" ruleset="tcp")
input(type="imudp" address="127.0.0.1" port="{to_udp}" ruleset="udp")
ruleset(name="tcp") {{
  action(type="omfwd" target="127.0.0.1" port="{vigile}" protocol="tcp"
         TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
}}
ruleset(name="udp") {{
  action(type="omfwd" target="127.0.0.1" port="{vigile}" protocol="udp"
         template="RSYSLOG_SyslogProtocol23Format")
}}
"""


def _bound(port: int) -> bool:
    """Whether something (rsyslogd) listens on this UDP port."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


def test_rsyslog_forwards_over_tcp_octet_counted_and_udp(
    lite_settings: Settings, clock: Callable[[], datetime], tmp_path: Path
) -> None:
    rsyslogd = require_tool("rsyslogd")
    world = build_world(lite_settings, clock)
    rules = tmp_path / "rules.yml"
    rules.write_text(WHOAMI_RULE, encoding="utf-8")
    server = syslog_server(
        lite_settings.effective_database_url,
        lite_settings.data_dir,
        rules,
        VIGILE_SYSLOG_BINDINGS="127.0.0.1=alpha",
    )
    server.start()
    to_tcp, to_udp = free_port(), free_port()
    work = tmp_path / "rsyslog"
    work.mkdir()
    conf = work / "rsyslog.conf"
    port = server.syslog_port  # type: ignore[attr-defined]
    conf.write_text(CONFIG.format(work=work, to_tcp=to_tcp, to_udp=to_udp, vigile=port))
    check = subprocess.run([rsyslogd, "-N1", "-f", str(conf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    shipper = subprocess.Popen(
        [rsyslogd, "-n", "-f", str(conf), "-i", str(work / "pid")],
        stdout=subprocess.DEVNULL,
        stderr=(work / "rsyslogd.log").open("wb"),
    )
    admin = world.headers["admin"]
    try:
        wait_for(lambda: _bound(to_tcp) and _bound(to_udp), timeout=15)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            # Multi-line content goes through octet counting intact.
            for i in range(20):
                msg = f"<13>Nov 26 09:00:{i:02d} fw-tcp app: tcp #{i}"
                udp.sendto(msg.encode(), ("127.0.0.1", to_tcp))
                udp.sendto(
                    f"<13>Nov 26 09:00:{i:02d} fw-udp app: udp #{i}".encode(), ("127.0.0.1", to_udp)
                )

        def by_host() -> dict[str, int]:
            items = api_get(server, admin, "/api/v1/sources", tenant="alpha")["items"]
            return {str(s["host"]): int(s["event_count"]) for s in items}

        wait_for(lambda: by_host().get("fw-tcp", 0) >= 20 and by_host().get("fw-udp", 0) >= 20)
        assert by_host() == {"fw-tcp": 20, "fw-udp": 20}
        found = api_get(server, admin, "/api/v1/events", tenant="alpha", **WINDOW)
        assert found["total"] == 40
        texts = " ".join(str(e) for e in found["items"])
        assert all(f"tcp #{i}" in texts and f"udp #{i}" in texts for i in range(20))
    finally:
        shipper.terminate()
        shipper.wait(10)
        server.stop()
