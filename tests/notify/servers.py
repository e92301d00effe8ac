"""Real servers on loopback for the notification tests: SMTP (aiosmtpd) and an HTTP receiver."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from vigile.notify.transports import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Mailbox:
    """Every transmission received, and the mailbox view: one message per Message-ID and
    recipient (as mail stores that de-duplicate on Message-ID keep them)."""

    transmissions: list[tuple[str, EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        for rcpt in envelope.rcpt_tos:
            self.transmissions.append((rcpt, message))
        return "250 OK"

    def inbox(self, address: str) -> list[EmailMessage]:
        seen: dict[str, EmailMessage] = {}
        for rcpt, message in self.transmissions:
            if rcpt == address:
                seen.setdefault(str(message["Message-ID"]), message)
        return list(seen.values())


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@dataclass
class Receiver:
    """Requests received by the HTTP receiver, with their signature checked."""

    secret: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200


@contextmanager
def http_receiver(secret: str) -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver(secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            valid = verify_signature(
                receiver.secret,
                self.headers[TIMESTAMP_HEADER],
                body,
                self.headers[SIGNATURE_HEADER],
            )
            receiver.requests.append(
                {"valid": valid, "json": json.loads(body), "headers": dict(self.headers)}
            )
            self.send_response(receiver.status if valid else 401)
            self.end_headers()
            self.wfile.write(b'{"done": true}')

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()
