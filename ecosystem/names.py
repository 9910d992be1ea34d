"""Normalised forms of company names and website domains, used to spot the same customer."""

from __future__ import annotations

import re
import unicodedata

from ecosystem.errors import InvalidCommand

_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_LEGAL_SUFFIXES = {
    "inc", "incorporated", "corp", "corporation", "co", "company", "llc", "ltd", "limited",
    "plc", "gmbh", "ag", "sa", "sas", "sarl", "bv", "nv", "oy", "ab", "as", "spa", "srl",
    "pty", "kk", "kg", "group", "holdings",
}  # fmt: skip


def normalise_domain(value: str) -> str:
    """`https://WWW.Example.com/path` -> `example.com`; refuses what is not a host name."""
    host = value.strip().lower()
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", host)
    host = re.split(r"[/?#]", host, maxsplit=1)[0]
    host = host.rsplit("@", 1)[-1].split(":", 1)[0].rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidCommand(f"{value!r} is not a website domain") from None
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise InvalidCommand(f"{value!r} is not a website domain")
    return host


def normalise_company_name(value: str) -> str:
    """`ACME, Inc.` and `Acme Incorporated` -> `acme`: case, accents, punctuation, legal form."""
    text = unicodedata.normalize("NFKD", value.casefold())
    text = "".join(char for char in text if not unicodedata.combining(char)).replace(".", "")
    words = re.split(r"[\W_]+", text)
    words = [word for word in words if word]
    while len(words) > 1 and words[-1] in _LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)
