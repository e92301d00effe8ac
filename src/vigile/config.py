"""All of Vigile's settings, in one place, read from ``VIGILE_*`` environment variables.

Every component takes its settings from :func:`get_settings` (or from a ``Settings`` passed in
explicitly, which is what tests do); nothing else reads the environment.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Vigile's configuration. Each field is set by the environment variable ``VIGILE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="VIGILE_", env_file=None, extra="ignore")

    data_dir: Path = Field(
        default=Path("var"),
        description="Where the embedded database, spool and caches live.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL. Default: SQLite file `<data_dir>/vigile.db`. "
        "PostgreSQL: `postgresql+psycopg://user:pass@host/db`.",
    )
    host: str = Field(default="127.0.0.1", description="Listen address of `vigile serve`.")
    port: int = Field(default=8080, ge=1, le=65535, description="Listen port of `vigile serve`.")
    corpus: Path = Field(
        default=Path("../shared/corpus"),
        description="External test corpus (Sigma rules, regression samples, EVTX). Tests only.",
    )
    rules: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="Sigma rule folders or files used by detection and `vigile scan`. "
        "Default: `<data_dir>/rules`. Several paths separated by `:` in the variable.",
    )
    admin_username: str = Field(default="admin", description="First admin account's name.")
    admin_password: SecretStr | None = Field(
        default=None,
        description="First admin's password. If unset, one is generated on first start and "
        "printed once.",
    )
    token_default_days: int = Field(
        default=365, ge=1, description="Default validity of new API and ingest tokens, in days."
    )
    page_size_max: int = Field(default=500, ge=1, description="Largest page a list may return.")
    alert_dedup_minutes: int = Field(
        default=60,
        ge=0,
        description="Matches of the same rule on the same key fields within this many minutes "
        "of the open alert's last match join it instead of opening a new alert (0: never).",
    )
    alert_evidence_max: int = Field(
        default=100, ge=1, description="Matching events kept per alert (the counter goes on)."
    )
    sla_due_soon_share: float = Field(
        default=0.75,
        gt=0,
        le=1,
        description="Share of the acknowledgement delay used after which an alert is due soon.",
    )
    sla_watch_seconds: float = Field(
        default=30,
        ge=0,
        description="How often `vigile serve` marks service-level breaches (0: not at all).",
    )
    # --- event store (events slice: retention) ---
    event_retention_days: int = Field(
        default=365,
        ge=1,
        le=36500,
        description="Days a tenant's events are kept when the tenant sets no retention of its "
        "own (`event_retention_days` on the tenant).",
    )
    event_retention_interval_seconds: float = Field(
        default=3600,
        ge=0,
        description="How often `vigile serve` deletes expired events, first at start (0: off).",
    )
    # --- live pipeline (ingest slice) ---
    ingest_max_body_mb: int = Field(
        default=32, ge=1, description="Largest HTTP ingest request body (decompressed), MiB."
    )
    ingest_token_cache_seconds: float = Field(
        default=5,
        ge=0,
        description="How long receivers trust an ingest token found valid without looking it "
        "up again (a revocation takes effect within it; 0: every request looks it up).",
    )
    ingest_max_record_kb: int = Field(
        default=256, ge=1, description="Records larger than this are cut and flagged, KiB."
    )
    ingest_spool_max_mb: int = Field(
        default=4096, ge=1, description="Spool size bound; past it receivers answer 503/429."
    )
    ingest_spool_max_lag: int = Field(
        default=2_000_000,
        ge=0,
        description="Records the worker may lag behind before receivers push back (0: no bound).",
    )
    ingest_pacing_lag: int = Field(
        default=65_536,
        ge=0,
        description="Unprocessed spool records past which `vigile serve` holds new ingest "
        "requests until its worker catches up (soft back-pressure; 0: off). The worker holds "
        "up to 5 x worker_batch in flight (its batch, three read ahead, one being stored): "
        "below that, pacing starts once its batches are full, i.e. at its capacity (what "
        "bench/ingest.py measured best: 4 x worker_batch).",
    )
    ingest_pacing_max_seconds: float = Field(
        default=2.0, ge=0, description="Longest hold of one ingest request by pacing, seconds."
    )
    worker_enabled: bool = Field(
        default=True, description="`vigile serve` runs the pipeline worker (spool → detection)."
    )
    worker_processes: int = Field(
        default=0,
        ge=0,
        description="Detection processes of the worker (0: one per core; 1: in the worker).",
    )
    worker_batch: int = Field(
        default=16_384,
        ge=1,
        description="Records per worker batch. A multiple of the event store's row group "
        "(16,384) lets a full batch be written to the store's file compressed, without the "
        "copy in its write-ahead log.",
    )
    syslog_enabled: bool = Field(default=True, description="`vigile serve` runs syslog.")
    syslog_host: str = Field(default="127.0.0.1", description="Syslog listen address.")
    syslog_port: int = Field(
        default=5514, ge=0, le=65535, description="Syslog UDP and TCP port (0: off)."
    )
    syslog_udp: bool = Field(default=True, description="Listen for syslog over UDP.")
    syslog_tcp: bool = Field(default=True, description="Listen for syslog over TCP.")
    syslog_tls_port: int = Field(
        default=6514, ge=0, le=65535, description="Syslog over TLS port (needs a certificate)."
    )
    syslog_tls_cert: Path | None = Field(default=None, description="TLS certificate (PEM).")
    syslog_tls_key: Path | None = Field(default=None, description="TLS private key (PEM).")
    syslog_tls_client_ca: Path | None = Field(
        default=None, description="CA of client certificates (required when set)."
    )
    syslog_bindings: str = Field(
        default="",
        description="Tenant of each syslog source: `NETWORK=SLUG[:SOURCE_TYPE]`, comma-separated "
        "(`10.1.0.0/16=acme,192.0.2.7=beta:cef`); for TLS, a client certificate's CN or "
        "SAN DNS name may be used in place of the network. Unbound sources are dropped.",
    )
    # --- monitored perimeter (assets slice: true-up) ---
    assets_monitored_days: int = Field(
        default=30,
        ge=1,
        description="An asset counts as monitored when it sent events within this many days "
        "(or is declared monitored).",
    )
    assets_counted_kinds: str = Field(
        default="host,network,cloud,application",
        description="Asset kinds counted against the subscription, comma-separated (of host, "
        "ip, account, network, cloud, application). IPs and accounts seen in events are "
        "inventoried but not counted by default.",
    )
    # --- provider's calendar (committees slice: report due dates) ---
    provider_timezone: str = Field(
        default="Europe/Paris", description="Time zone of the provider's business calendar."
    )
    provider_holidays: str = Field(
        default="FR", description="Public holidays of the provider (FR, FR-57, FR-6AE…)."
    )
    provider_hours: str = Field(
        default="mon-fri 09:00-18:00",
        description="Provider's weekly hours; a business day is a day with open hours.",
    )
    committee_report_days: int = Field(
        default=10,
        ge=1,
        description="Business days after a committee within which its report is due (art. 5).",
    )
    # --- rule sets and source health (rules and sources slices) ---
    rules_refresh_seconds: float = Field(
        default=10, gt=0, description="How often the worker follows rule set imports/toggles."
    )
    source_silent_minutes: int = Field(
        default=60,
        ge=0,
        description="Default expected interval of a source: silent longer, it raises a "
        "`source_silent` alert (0: never; per-source override via API/CLI).",
    )
    source_silent_level: str = Field(
        default="high", description="Level of `source_silent` alerts (Sigma level or 1-4)."
    )
    source_watch_seconds: float = Field(
        default=60, ge=0, description="How often `vigile serve` checks silent sources (0: off)."
    )

    # --- notifications, escalation, containment (notify and incidents slices) ---
    smtp_host: str | None = Field(default=None, description="SMTP server (unset: no e-mail).")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP port.")
    smtp_starttls: bool = Field(default=True, description="Upgrade the SMTP session (STARTTLS).")
    smtp_ssl: bool = Field(default=False, description="SMTP over TLS from the start (465).")
    smtp_username: str | None = Field(default=None, description="SMTP login (AUTH).")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_from: str = Field(default="vigile@localhost", description="Sender address.")
    smtp_timeout: float = Field(default=30, gt=0, description="SMTP timeout, seconds.")
    notify_send_seconds: float = Field(
        default=10, ge=0, description="How often `vigile serve` delivers the outbox (0: off)."
    )
    notify_max_attempts: int = Field(default=8, ge=1, description="Deliveries tried per message.")
    notify_retry_seconds: float = Field(
        default=30, gt=0, description="First retry delay; doubles at each failure."
    )
    notify_retry_max_seconds: float = Field(default=3600, gt=0, description="Longest retry delay.")
    notify_lease_seconds: float = Field(
        default=300, gt=0, description="A crashed sender's claim on a message expires after this."
    )
    notify_on_duty: str = Field(
        default="", description="On-duty analysts' e-mails (comma-separated): SLA alert events."
    )
    escalation_ack_minutes: float = Field(
        default=30, gt=0, description="Without acknowledgement, the backup referent is notified."
    )
    public_url: str | None = Field(default=None, description="Base URL used in messages' links.")
    actions_webhook_url: str | None = Field(
        default=None, description="EDR/SOAR endpoint of the webhook containment connector."
    )
    actions_webhook_secret: SecretStr | None = Field(
        default=None, description="HMAC-SHA256 key signing containment webhooks."
    )
    actions_webhook_timeout: float = Field(default=10, gt=0, description="Seconds.")

    @property
    def effective_database_url(self) -> str:
        """The configured database URL, or the embedded SQLite file under the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'vigile.db').resolve()}"

    @property
    def effective_rules(self) -> list[Path]:
        """The configured rule paths, or ``<data_dir>/rules``."""
        return self.rules or [self.data_dir / "rules"]

    @field_validator("rules", mode="before")
    @classmethod
    def _split_rule_paths(cls, value: object) -> object:
        """Accept ``VIGILE_RULES=/a:/b`` (the OS path separator) as well as a list."""
        if isinstance(value, str):
            return [Path(p) for p in value.split(os.pathsep) if p]
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
