"""Tracking events from carriers (X12 214, carrier APIs and webhooks), normalised."""

from __future__ import annotations

import datetime as dt
import enum

from contracts.v1._base import Contract
from contracts.v1.common import (
    AwareDatetime,
    BusinessKeys,
    CarrierId,
    Identifier,
    Location,
    NonEmptyStr,
)

__all__ = ["CarrierEvent", "CarrierStatus"]


class CarrierStatus(enum.StrEnum):
    """One status vocabulary for every carrier, so routes need no per-carrier code lists.

    ``unknown`` is for codes the crosswalk does not know yet: the event still flows
    and the raw code tells an integrator what to add.
    """

    LABEL_CREATED = "label_created"
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    DELIVERY_ATTEMPTED = "delivery_attempted"
    EXCEPTION = "exception"
    DELAYED = "delayed"
    RETURNED_TO_SENDER = "returned_to_sender"
    DAMAGED = "damaged"
    LOST = "lost"
    UNKNOWN = "unknown"


class CarrierEvent(Contract, frozen=True, kw_only=True):
    """One tracking event for one package.

    ``carrier_code`` and ``carrier_reason`` keep the carrier's own words next to the normalised
    ``status`` so a wrong crosswalk entry can be found and the event re-mapped on replay.
    """

    carrier: CarrierId
    tracking_number: Identifier
    status: CarrierStatus
    carrier_code: NonEmptyStr
    occurred_at: AwareDatetime
    carrier_reason: NonEmptyStr | None = None
    description: NonEmptyStr | None = None
    location: Location | None = None
    estimated_delivery_date: dt.date | None = None
    signed_by: NonEmptyStr | None = None
    references: BusinessKeys | None = None
