"""What a verification found, and the checks of party signatures every verifier shares.

Parties' signing keys and whether each requires signed commands are themselves events of the
log (on each `Party`), so a verifier follows them in log order: a signature counts only if
its key was registered, and not revoked, before the signed command was recorded.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ecosystem.audit.canonical import canonical
from ecosystem.audit.checkpoints import key_id_of, public_key_from, unb64

PARTY_KEY_EVENTS = ("SigningKeyRegistered", "SigningKeyRevoked", "SignatureRequirementChanged")


@dataclass(frozen=True)
class Problem:
    position: int | None  # the log position it concerns, when one can be named
    what: str


@dataclass
class Report:
    """Problems found (none means the check passed), with counts of what was checked."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_position(self) -> int | None:
        positions = [p.position for p in self.problems if p.position is not None]
        return min(positions) if positions else None

    def fail(self, position: int | None, what: str) -> None:
        self.problems.append(Problem(position, what))

    def ordered(self) -> list[Problem]:
        """The problems in log order (checks on other threads report as they finish)."""
        return sorted(self.problems, key=lambda p: (p.position is None, p.position or 0))

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "first_bad_position": self.first_bad_position,
            "problems": [{"position": p.position, "problem": p.what} for p in self.ordered()],
            "notes": self.notes,
            "checked": dict(self.counts),
        }

    def lines(self) -> list[str]:
        checked = ", ".join(f"{n} {what}" for what, n in sorted(self.counts.items()))
        head = "verified" if self.ok else f"FAILED: {len(self.problems)} problem(s)"
        lines = [f"{head} ({checked})"]
        if self.first_bad_position is not None:
            lines.append(f"first bad position: {self.first_bad_position}")
        lines += [f"  position {p.position}: {p.what}" if p.position is not None
                  else f"  {p.what}" for p in self.ordered()]  # fmt: skip
        lines += [f"  note: {note}" for note in self.notes]
        return lines


class KeyRegistry:
    """Each party's signing keys and signature requirement, as of a point in the log."""

    def __init__(self) -> None:
        self._keys: dict[tuple[str, str], tuple[Ed25519PublicKey, bool]] = {}
        self._requiring: set[str] = set()

    def apply(self, party: str, name: str, state: dict[str, Any]) -> None:
        """Follow one of a party's key events (`state` as recorded; `party` in hex)."""
        if name == "SigningKeyRegistered":
            key = public_key_from(state["public_key"])
            if key_id_of(key) == state["key_id"]:  # a key under another key's id never counts
                self._keys[(party, state["key_id"])] = (key, True)
        elif name == "SigningKeyRevoked":
            found = self._keys.get((party, state["key_id"]))
            if found is not None:
                self._keys[(party, state["key_id"])] = (found[0], False)
        elif name == "SignatureRequirementChanged":
            (self._requiring.add if state["required"] else self._requiring.discard)(party)

    def requires(self, party: str) -> bool:
        return party in self._requiring

    @property
    def any_required(self) -> bool:
        return bool(self._requiring)

    def prepared(
        self, document: dict[str, Any], signature: str
    ) -> tuple[Ed25519PublicKey, bytes, bytes] | str:
        """(key, signature, signed bytes) to verify a signed command with now, or why it
        cannot verify whatever its signature."""
        try:
            party = document["party_id"].replace("-", "")
            found = self._keys.get((party, document["key_id"]))
            if found is None:
                return f"signed with key {document['key_id']}, not a key of the signing party"
            key, active = found
            if not active:
                return f"signed with key {document['key_id']} after it was revoked"
            return key, unb64(signature), canonical(document)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            return f"a malformed signed command ({error})"


_ACTOR = b'"actor":{"_type_":"actor","_data_":{"party_id":"'
_USER = b'","user_id":"'


def actor_in(plain: bytes) -> tuple[str, str] | None:
    """(party hex, user hex) of a recorded event's actor, read straight from its JSON: the
    `actor` argument comes last in every event Cosell records, and quotes in a text value
    are escaped, so the last such key is the event's own (what `actor_of` decodes)."""
    at = plain.rfind(_ACTOR)
    if at < 0:
        return None
    start = at + len(_ACTOR)
    if plain[start + 32 : start + 32 + len(_USER)] != _USER:
        return None
    user = start + 32 + len(_USER)
    return plain[start : start + 32].decode(), plain[user : user + 32].decode()


def actor_of(state: dict[str, Any]) -> tuple[str, str] | None:
    """(party hex, user hex) of a recorded event's actor, if it has one."""
    actor = state.get("actor")
    if isinstance(actor, dict) and isinstance(actor.get("_data_"), dict):
        data = actor["_data_"]
        return str(data.get("party_id")), str(data.get("user_id"))
    return None


def signer_of(document: dict[str, Any]) -> tuple[str, str]:
    return (
        str(document.get("party_id", "")).replace("-", ""),
        str(document.get("user_id", "")).replace("-", ""),
    )
