"""What each party may see: the one redaction function every output goes through."""

from policies.redaction import event_view, opportunity_view, visible_paths

__all__ = ["event_view", "opportunity_view", "visible_paths"]
