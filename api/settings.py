"""Settings: the one place Cosell reads its environment (COSELL_* variables or a .env file)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///var/cosell.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COSELL_", env_file=".env", extra="ignore")

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL of the event store: sqlite:///… or postgresql+psycopg2://…",
    )
    host: str = Field("127.0.0.1", description="Address the API listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port the API listens on.")
    nats_url: str | None = Field(None, description="NATS server for partner feeds (optional).")
    run_projections: bool = Field(
        True, description="Keep the read models current inside the API process."
    )
    read_wait_seconds: float = Field(
        5.0, ge=0, le=60, description="How long a read waits for the read models to catch up."
    )
    poll_seconds: float = Field(
        0.25, gt=0, le=10, description="How often a runner on SQLite looks for new events."
    )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite or ":memory:" in self.database_url:
            return None
        return Path(self.database_url.split(":///", 1)[1])
