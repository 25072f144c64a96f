"""Settings, read once from the environment (prefix ``HALLWAY_``) or a ``.env`` file."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the service; each is an environment variable ``HALLWAY_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="HALLWAY_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./hallway.db",
        description="SQLAlchemy URL; SQLite file by default, postgresql+psycopg://… in production.",
    )
    base_url: str = Field(
        default="http://127.0.0.1:8000", description="Public address used in attendee links."
    )
    secret_key: str = Field(
        default="",
        description="Signs attendee links. Empty: a random key is made and kept in the database.",
    )
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_import_rows: int = Field(default=20_000, ge=1)
    max_batch_items: int = Field(default=1_000, ge=1)
    page_size_max: int = Field(default=1_000, ge=1)
    max_json_bytes: int = Field(
        default=2 * 1024 * 1024,
        ge=1024,
        description="Largest request body other than an upload (JSON, the attendee page's form).",
    )
    file_workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Processes per web process that read imported files and build exports.",
    )
    file_timeout: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="Seconds an import may take to read, or an export to build, before 422/503.",
    )
    xlsx_max_uncompressed_bytes: int = Field(
        default=100 * 1024 * 1024,
        ge=1024,
        description="Largest total size of an XLSX upload's unpacked parts.",
    )
    xlsx_max_shared_strings: int = Field(
        default=1_000_000,
        ge=1,
        description="Most distinct texts (shared strings) an XLSX upload may hold.",
    )
    embedding_model: str = Field(
        default="all-MiniLM-L6-v2",
        description="Model name or path; the bundled all-MiniLM-L6-v2 is used for the default.",
    )
    allow_http_loopback: bool = Field(
        default=False,
        description="Let connections and outbound webhooks use http:// addresses on loopback "
        "(127.0.0.1, ::1, localhost); for tests and local set-ups only.",
    )
    cache_dir: str | None = Field(default=None, description="Embedding cache folder.")
    web_processes: int = Field(
        default=0,
        ge=0,
        le=64,
        description="Web processes `hallway serve` starts; 0 means one per CPU core.",
    )
    max_concurrent_requests: int = Field(
        default=16,
        ge=1,
        le=256,
        description="Requests one web process works on at once (each may hold a database "
        "connection, so the connection pool is this big).",
    )
    max_waiting_requests: int = Field(
        default=64,
        ge=0,
        le=10_000,
        description="Requests one web process lets wait for a free slot; beyond that, 503.",
    )
    max_wait_seconds: float = Field(
        default=2.0,
        ge=0,
        le=60,
        description="How long a waiting request may wait for a slot before it gets 503.",
    )

    smtp_url: str = Field(
        default="",
        description="The organizer's mail server: smtp://user:pass@host:587 (STARTTLS), "
        "smtps://user:pass@host:465 (TLS), smtp://127.0.0.1:25 (loopback, no TLS). Empty: "
        "no e-mail is sent.",
    )
    mail_from: str = Field(
        default="", description='Sender of attendee e-mail: "PyConf <hello@pyconf.example>".'
    )
    mail_per_minute: int = Field(
        default=60, ge=1, le=100_000, description="Most messages sent per minute, all workers."
    )
    mail_max_attempts: int = Field(
        default=5, ge=1, le=100, description="Tries of a message the server defers (4xx)."
    )
    mail_retry_seconds: float = Field(
        default=60.0,
        ge=0,
        le=86_400,
        description="Wait before the first retry of a deferred message; doubled each time.",
    )
    smtp_timeout: float = Field(default=30.0, gt=0, le=600, description="SMTP socket timeout.")
    connection_sync_hours: float = Field(
        default=6.0,
        ge=0,
        le=24 * 30,
        description="Hours between scheduled full syncs of each registration connection; "
        "0 turns them off.",
    )


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (cached; tests clear the cache to change them)."""
    return Settings()
