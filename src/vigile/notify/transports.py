"""Network edges of the notify slice: SMTP (STARTTLS, AUTH) and signed webhooks.

Webhook signature: ``X-Vigile-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``
with ``X-Vigile-Timestamp: <unix seconds>``; receivers recompute it and reject stale timestamps.
"""

from __future__ import annotations

import hashlib
import hmac
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from vigile.config import Settings

SIGNATURE_HEADER = "X-Vigile-Signature"
TIMESTAMP_HEADER = "X-Vigile-Timestamp"


class DeliveryError(Exception):
    """The channel refused or failed; the message is retried later."""


@dataclass(frozen=True)
class Outgoing:
    """One message as the channel sends it."""

    channel: str
    recipient: str
    recipient_name: str
    subject: str
    body: str
    idem_key: str
    message_id: str
    payload: bytes = b""
    secret: str = ""
    headers: dict[str, str] = field(default_factory=dict)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """Whether ``header`` is the signature of ``body`` at ``timestamp`` (constant time)."""
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def email_message(settings: Settings, out: Outgoing) -> EmailMessage:
    """The e-mail: its Message-ID derives from the idempotency key, so a re-sent copy is the
    same message for the receiving mail system."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = formataddr((out.recipient_name, out.recipient))
    message["Subject"] = out.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = out.message_id
    message["X-Vigile-Idempotency-Key"] = out.idem_key
    message.set_content(out.body)
    return message


def send_email(settings: Settings, out: Outgoing) -> str:
    """Send through the configured SMTP server; returns the server's reply summary."""
    if not settings.smtp_host:
        raise DeliveryError("no SMTP server configured (VIGILE_SMTP_HOST)")
    context = ssl.create_default_context()
    try:
        smtp: smtplib.SMTP
        if settings.smtp_ssl:
            smtp = smtplib.SMTP_SSL(
                settings.smtp_host,
                settings.smtp_port,
                timeout=settings.smtp_timeout,
                context=context,
            )
        else:
            smtp = smtplib.SMTP(
                settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout
            )
        with smtp:
            if settings.smtp_starttls and not settings.smtp_ssl:
                smtp.starttls(context=context)
            if settings.smtp_username:
                password = (
                    settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                )
                smtp.login(settings.smtp_username, password)
            refused = smtp.send_message(email_message(settings, out))
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"smtp: {type(exc).__name__}: {exc}") from exc
    if refused:
        raise DeliveryError(f"smtp refused: {refused}")
    return "250 accepted"


def post_signed(
    url: str, secret: str, body: bytes, timestamp: str, headers: dict[str, str], timeout: float
) -> tuple[int, str]:
    """POST a signed JSON body; returns (status, first 2000 characters of the response)."""
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header(TIMESTAMP_HEADER, timestamp)
    request.add_header(SIGNATURE_HEADER, sign(secret, timestamp, body))
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(2000).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(2000).decode(errors="replace")
    except (OSError, ValueError) as exc:
        raise DeliveryError(f"webhook: {type(exc).__name__}: {exc}") from exc
