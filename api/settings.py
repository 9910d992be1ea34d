"""Settings: the one place Cosell reads its environment (COSELL_* variables or a .env file)."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from pydantic import Field, field_validator
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
    read_waits_per_user: int = Field(
        4, ge=1, le=1000, description="How many reads of one user may wait at a time (more: 429)."
    )
    max_body_bytes: int = Field(
        1_048_576, ge=1024, description="The largest request body accepted, in bytes (more: 413)."
    )
    poll_seconds: float = Field(
        0.25, gt=0, le=10, description="How often a runner on SQLite looks for new events."
    )
    signing_key_file: Path | None = Field(
        None,
        description="The network's Ed25519 key (PEM) that signs checkpoints; created on first "
        "use. Default: beside the SQLite file, or var/network-signing-key.pem.",
    )
    consistency_key_file: Path | None = Field(
        None,
        description="The key that seals consistency tokens; created on first use. Default: "
        "beside the signing key. Every process serving the network must share it.",
    )
    checkpoint_seconds: float = Field(
        60.0, ge=0, description="How often `cosell serve` signs a checkpoint (0: only on demand)."
    )
    store_cipher_key: str | None = Field(
        None,
        description="Encrypt every stored event at rest with this AES key (base64, 16/24/32 "
        "bytes; `cosell admin create-cipher-key` makes one). Also wraps personal-data keys.",
    )

    @field_validator("store_cipher_key")
    @classmethod
    def _cipher_key(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            size = len(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            size = 0
        if size not in (16, 24, 32):
            raise ValueError("the store cipher key is 16, 24 or 32 bytes in base64")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def signing_key_path(self) -> Path:
        if self.signing_key_file is not None:
            return self.signing_key_file
        database = self.sqlite_path()
        folder = database.parent if database is not None else Path("var")
        return folder / "network-signing-key.pem"

    def consistency_key_path(self) -> Path:
        if self.consistency_key_file is not None:
            return self.consistency_key_file
        return self.signing_key_path().parent / "consistency-token-key"

    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite or ":memory:" in self.database_url:
            return None
        return Path(self.database_url.split(":///", 1)[1])
