"""What each party may see: Casbin sharing rules, compiled masks and the one redaction function."""

from policies.decisions import PolicyDecisions
from policies.masks import MaskCompiler
from policies.redaction import Redaction
from policies.simulation import simulate, simulate_change
from policies.table import MODEL_PATH, PolicyTable, policy_rows

__all__ = [
    "MODEL_PATH",
    "MaskCompiler",
    "PolicyDecisions",
    "PolicyTable",
    "Redaction",
    "policy_rows",
    "simulate",
    "simulate_change",
]
