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
    embedding_model: str = Field(
        default="all-MiniLM-L6-v2",
        description="Model name or path; the bundled all-MiniLM-L6-v2 is used for the default.",
    )
    cache_dir: str | None = Field(default=None, description="Embedding cache folder.")


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (cached; tests clear the cache to change them)."""
    return Settings()
