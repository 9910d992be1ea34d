"""Checkpoints, proofs, auditors' reads and erasure requests."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, model_validator

from api.schemas.common import Strict, Text


class NetworkKeyPublic(BaseModel):
    key_id: str = Field(description="SHA-256 of the raw key, first 16 bytes, in hex.")
    public_key: str = Field(description="The Ed25519 public key: 32 raw bytes in base64url.")
    algorithm: str = "Ed25519"


class CheckpointPublic(BaseModel):
    """The network's signed statement of the log's size and Merkle root at a moment."""

    size: int
    root: str = Field(description="RFC 9162 Merkle tree hash of the first `size` leaves, hex.")
    signed_at: str
    key_id: str
    signature: str = Field(description="Ed25519 over the RFC 8785 statement, base64url.")


class ConsistencyProof(BaseModel):
    first: int
    second: int
    proof: list[str] = Field(description="RFC 9162 §2.1.4 consistency proof, hex hashes.")


class InclusionProof(BaseModel):
    leaf_index: int
    size: int
    leaf: str = Field(description="The leaf hash (opaque: it reveals nothing of the event).")
    proof: list[str] = Field(description="RFC 9162 §2.1.3 inclusion proof, hex hashes.")


class AuditHistory(BaseModel):
    object_id: str
    type: str
    events: list[dict[str, Any]] = Field(
        description="Each event as your company may see it, with its log position and leaf."
    )


class AuditState(BaseModel):
    object_id: str
    type: str
    version: int
    as_of: str
    view: dict[str, Any] | None


class AccessDecision(BaseModel):
    party_id: str
    seat: str | None = Field(description="How the party took part then; null if it did not.")
    could_read: bool


class AccessAnswer(BaseModel):
    object_id: str
    object_type: str
    version: int
    field: str
    owner_party_id: str
    at: str
    policy_version: int | None = Field(
        None, description="The owner's policy version then (only when the owner is your company)."
    )
    decisions: list[AccessDecision]
    rules_in_force: list[dict[str, str]] | None = Field(
        None, description="The owner's own rules then (only when the owner is your company)."
    )


class ErasureCreate(Strict):
    """Who to erase: each identifier their contact entries were recorded under."""

    email: Text | None = None
    phone: Text | None = None
    name: Text | None = None

    @model_validator(mode="after")
    def _someone(self) -> ErasureCreate:
        if not (self.email or self.phone or self.name):
            raise ValueError("name the person by email, phone or name")
        return self


class ErasurePublic(BaseModel):
    subjects_erased: int
    opportunities: list[str] = Field(description="The deals that recorded the erasure.")
