"""Joint solutions and co-funding plans, and their events, as a given party may see them.

The same rule as for deals: each value has an owner and a policy leaf, and leaves only if the
viewer is that owner or the owner's mask for the viewer holds the leaf. Core fields are the
object owner's; components their contributor's; commitments their funder's; a request or
claim its requester's, a payout its payer's. A request, its claims and payouts are always
shown to the parties they involve (the requester and the funders whose money they draw on).
A link to a deal is shown only to parties that take part in that deal.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ecosystem.funding.domainmodel import CoFundingPlan
from ecosystem.funding.records import FundRequest
from ecosystem.money import in_minor_units
from ecosystem.shared_objects import SharedObject
from ecosystem.sharing.rules import INVITED
from ecosystem.solutions.domainmodel import JointSolution
from policies.rendering import as_json, nest

if TYPE_CHECKING:
    from policies.redaction import Redaction

Audience = Callable[[UUID], Collection[UUID]]  # object id -> the parties involved in it now
OBJECT_TYPES = {JointSolution: "solution", CoFundingPlan: "funding_plan"}


class Gates:
    """The masks of every data owner of one object for one viewer, compiled on first use."""

    def __init__(self, redaction: Redaction, viewer: UUID, seat: str, object_type: str) -> None:
        self._redaction = redaction
        self.viewer = viewer
        self._seat = seat
        self._type = object_type
        self._masks: dict[UUID, frozenset[str] | None] = {}

    def allows(self, owner: UUID, leaf: str) -> bool:
        if owner not in self._masks:
            self._masks[owner] = self._redaction.readable(
                self.viewer, self._seat, owner, self._type
            )
        mask = self._masks[owner]
        return mask is None or leaf in mask


def shared_view(
    redaction: Redaction, viewer: UUID, found: SharedObject, audience: Audience | None
) -> dict[str, Any] | None:
    """A solution or plan as `viewer` may see it, JSON-ready; None for outsiders."""
    seat = redaction.seat(viewer, found)
    if seat is None:
        return None
    gates = Gates(redaction, viewer, seat, OBJECT_TYPES[type(found)])
    owner = found.owner_id
    flat: dict[str, Any] = {"id": found.id, "version": found.version, "owner_party_id": owner}
    if seat != INVITED:
        flat.update(created_at=found.created_on, updated_at=found.modified_on)
    mine = found.participants.get(viewer)
    if mine is not None:
        flat["invitation"] = {"role": mine.role, "status": mine.status, "since": mine.since}
    core: dict[str, Any] = {
        "participants": [
            {"party_id": m.party_id, "role": m.role, "status": m.status, "since": m.since}
            for m in found.participants.values()
        ],
        **found.fields,  # type: ignore[attr-defined]
    }
    if isinstance(found, JointSolution):
        core.update(lifecycle=found.lifecycle, sign_offs=_sign_offs(found))
    else:
        assert isinstance(found, CoFundingPlan)
        core.update(currency=found.currency, activities=_activities(found, viewer))
    for path, value in core.items():
        if gates.allows(owner, path):
            flat[path] = value
    if isinstance(found, JointSolution):
        _put(flat, "components", [
            {"component_id": c.component_id, "contributor": c.contributor, "name": c.name,
             "description": c.description}
            for c in found.components.values() if gates.allows(c.contributor, "components")
        ], gates.allows(owner, "components"))  # fmt: skip
    else:
        assert isinstance(found, CoFundingPlan)
        _plan_money(flat, found, gates)
    if gates.allows(owner, "links"):
        flat["links"] = [
            {"opportunity_id": link.opportunity_id, "linked_by": link.linked_by,
             "since": link.since}
            for link in found.links.values()
            if audience is not None and viewer in audience(link.opportunity_id)
        ]  # fmt: skip
    for party_id, fields in found.counterparts.items():
        for name, value in fields.items():
            if gates.allows(party_id, f"counterparts.{name}"):
                flat[f"counterparts.{party_id}.{name}"] = value
    return nest(flat)


def _put(flat: dict[str, Any], key: str, items: list[Any], shown_when_empty: bool) -> None:
    if items or shown_when_empty:
        flat[key] = items


def _sign_offs(solution: JointSolution) -> list[dict[str, Any]]:
    return [{"party_id": p, "at": at} for p, at in solution.sign_offs.items()]


def _activities(plan: CoFundingPlan, viewer: UUID) -> list[dict[str, Any]]:
    """Activities; what was requested of one is summed from requests, which only its funders
    see in full, so only they see the sum."""
    shown = []
    for a in plan.activities.values():
        activity: dict[str, Any] = {
            "activity_id": a.activity_id, "kind": a.kind, "name": a.name,
            "budget": _money(a.budget, plan.currency),
            "shares": [{"party_id": p, "percent": str(s)} for p, s in a.shares.items()],
        }  # fmt: skip
        if viewer in a.shares:
            activity["requested"] = _money(plan.requested_of(a.activity_id), plan.currency)
        shown.append(activity)
    return shown


def _plan_money(flat: dict[str, Any], plan: CoFundingPlan, gates: Gates) -> None:
    """Commitments, requests, claims and payouts: each by its own owner's policy."""
    money = plan.currency
    _put(flat, "commitments", [
        _commitment(plan, f, total, gates.viewer)
        for f, total in plan.commitments.items() if gates.allows(f, "commitments")
    ], gates.allows(plan.owner_id, "commitments"))  # fmt: skip
    shown = [r for r in plan.requests.values() if _sees(gates, r, r.requester, "requests")]
    _put(flat, "requests", [_request(r, money) for r in shown], False)
    claims = [
        c for c in plan.claims.values()
        if _sees(gates, plan.requests[c.request_id], c.claimant, "claims")
    ]  # fmt: skip
    _put(flat, "claims", [
        {"claim_id": c.claim_id, "request_id": c.request_id, "claimant": c.claimant,
         "amount": _money(c.amount, money), "proofs": c.proofs, "submitted_at": c.submitted_at,
         "paid": _money(plan.paid_of(c.claim_id), money)}
        for c in claims
    ], False)  # fmt: skip
    payouts = [
        p for p in plan.payouts.values()
        if _sees(gates, plan.requests[plan.claims[p.claim_id].request_id], p.payer, "payouts")
    ]  # fmt: skip
    _put(flat, "payouts", [
        {"payout_id": p.payout_id, "claim_id": p.claim_id, "payer": p.payer,
         "amount": _money(p.amount, money), "reference": p.reference, "paid_at": p.paid_at}
        for p in payouts
    ], False)  # fmt: skip


def _commitment(plan: CoFundingPlan, funder: UUID, total: Decimal, viewer: UUID) -> Any:
    """A funder's commitment; what it approved and has left are its own books (summed from
    requests others may not see), shown to it alone."""
    shown = {"party_id": funder, "committed": _money(total, plan.currency)}
    if viewer == funder:
        shown["approved"] = _money(plan.approved_by(funder), plan.currency)
        shown["left"] = _money(plan.left_of(funder), plan.currency)
    return shown


def _sees(gates: Gates, request: FundRequest, owner: UUID, leaf: str) -> bool:
    """The parties a request involves (its requester and the funders whose money it draws
    on) see it and what follows from it: it is theirs too. Others as the owner's policy and
    partnership say."""
    involved = gates.viewer == request.requester or gates.viewer in request.portions
    return involved or gates.allows(owner, leaf)


def _request(r: FundRequest, currency: str) -> dict[str, Any]:
    return {
        "request_id": r.request_id, "activity_id": r.activity_id, "requester": r.requester,
        "amount": _money(r.amount, currency), "description": r.description, "status": r.status,
        "portions": [{"party_id": p, "amount": _money(v, currency)} for p, v in r.portions.items()],
        "approvals": [{"party_id": p, "at": at} for p, at in r.approvals.items()],
        "answers": [{"party_id": a.party_id, "kind": a.kind, "text": a.text, "at": a.at}
                    for a in r.answers],
    }  # fmt: skip


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": in_minor_units(amount, currency), "currency": currency}


def shared_event_view(
    redaction: Redaction, viewer: UUID, found: SharedObject, event: Any, audience: Audience | None,
    seat: str | None = None,
) -> dict[str, Any] | None:  # fmt: skip
    """One recorded event of a solution or plan as `viewer` may see it; None when hidden.

    An event shows what it changed only as far as the viewer, from `seat` (its seat when the
    event happened; by default now), may see that part of the object under the policy now;
    its payload passes through the same gates as the object's view."""
    seat = seat or redaction.seat(viewer, found)
    if seat is None:
        return None
    gates = Gates(redaction, viewer, seat, OBJECT_TYPES[type(found)])
    data = _event_data(gates, found, event, audience)
    if data is None:
        return None
    view: dict[str, Any] = {
        "version": event.originator_version,
        "type": type(event).__name__,
        "occurred_at": event.timestamp.isoformat(),
        "data": as_json(data),
    }
    if event.actor.party_id in (viewer, found.owner_id) or gates.allows(
        found.owner_id, "participants"
    ):
        view["actor"] = {"party_id": str(event.actor.party_id), "user_id": str(event.actor.user_id)}
    return view


_PARTICIPATION = ("PartnerInvited", "InvitationAccepted", "InvitationDeclined", "PartnerWithdrawn")
_REQUEST_EVENTS = ("FundsRequested", "RequestApproved", "RequestRejected",
                   "InformationRequested", "InformationProvided")  # fmt: skip


def _event_data(
    gates: Gates, found: SharedObject, event: Any, audience: Audience | None
) -> dict[str, Any] | None:
    name = type(event).__name__
    owner, author = found.owner_id, event.actor.party_id
    if name in ("Proposed", "Created", "DetailsUpdated"):
        values = dict(getattr(event, "fields", None) or getattr(event, "changes", {}))
        if name == "Created":
            values["currency"] = event.currency
        shown = {k: v for k, v in values.items() if gates.allows(owner, k)}
        return shown if shown or not values else None
    if name in _PARTICIPATION:
        party = getattr(event, "party_id", author)
        if party != gates.viewer and not gates.allows(owner, "participants"):
            return None
        shown = {k: getattr(event, k) for k in ("role", "reason") if hasattr(event, k)}
        return {"party_id": party, **shown}
    if name in ("OpportunityLinked", "OpportunityUnlinked"):
        seen = audience is not None and gates.viewer in audience(event.opportunity_id)
        return (
            {"opportunity_id": event.opportunity_id}
            if seen and gates.allows(owner, "links")
            else None
        )
    if name == "CounterpartUpdated":
        shown = {
            k: v for k, v in event.changes.items() if gates.allows(author, f"counterparts.{k}")
        }
        return shown or None
    leaf_of_owner = {
        "SignedOff": ("sign_offs", owner),
        "Moved": ("lifecycle", owner),
        "ComponentAdded": ("components", author),
        "ComponentRemoved": ("components", author),
        "FundsCommitted": ("commitments", author),
        "ActivityAdded": ("activities", owner),
    }
    if name in leaf_of_owner:
        leaf, data_owner = leaf_of_owner[name]
        return _payload(event) if gates.allows(data_owner, leaf) else None
    if isinstance(found, CoFundingPlan):
        request_id = getattr(event, "request_id", None)
        if name in ("FundsClaimed", "PayoutRecorded"):
            claim = found.claims.get(getattr(event, "claim_id", None))  # type: ignore[arg-type]
            request_id = claim.request_id if claim else None
        request = found.requests.get(request_id) if request_id else None
        if request is not None and (
            name in _REQUEST_EVENTS or name in ("FundsClaimed", "PayoutRecorded")
        ):
            leaf = {"FundsClaimed": "claims", "PayoutRecorded": "payouts"}.get(name, "requests")
            data_owner = author if name in ("FundsClaimed", "PayoutRecorded") else request.requester
            return _payload(event) if _sees(gates, request, data_owner, leaf) else None
    return None  # an event this function does not know is never shown


def _payload(event: Any) -> dict[str, Any]:
    hidden = {"originator_id", "originator_version", "timestamp", "actor"}
    return {k: v for k, v in vars(event).items() if k not in hidden}
