"""Demo data for billing: claims for the demo clinic's signed visits in every status, an 837P
batch, payer payments with adjustments, copays and patient payments.

Deterministic and idempotent: once the demo has claims or invoices, running it again adds
nothing. Everything goes through the services, as a biller would.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing import services
from billing.models import Claim, Invoice
from billing.services.payments import AdjustmentInput, LineAllocation
from charting.models import Encounter, EncounterStatus
from emr.models import User

CENT = Decimal("0.01")


@dataclass
class BillingSeedResult:
    claims: int = 0
    invoices: int = 0
    submitted: int = 0
    paid: int = 0
    denied: int = 0
    payments: int = 0
    left_to_bill: int = 0


def _biller() -> User | None:
    return User.objects.filter(groups__name="billing").order_by("pk").first()


def _pay(claim: Claim, *, rng: random.Random, by: User | None, reference: str) -> None:
    """Post the payer's payment of a claim as a typical EOB: 80% of the allowed amount paid,
    the rest of the allowed to the patient (coinsurance), the remainder written off."""
    lines = list(claim.lines.order_by("line_number"))
    entries, total = [], Decimal("0")
    for line in lines:
        allowed = (line.charge * Decimal(rng.choice(["0.70", "0.75", "0.80"]))).quantize(CENT)
        paid = (allowed * Decimal("0.80")).quantize(CENT)
        contractual = line.charge - allowed
        adjustments = []
        if contractual > 0:
            adjustments.append(AdjustmentInput("CO", "45", contractual))
        if allowed - paid > 0:
            adjustments.append(AdjustmentInput("PR", rng.choice(["1", "2", "3"]), allowed - paid))
        entries.append(LineAllocation(line.pk, allowed, paid, adjustments))
        total += paid
    received = min(
        claim.encounter.date_of_service + datetime.timedelta(days=21), timezone.localdate()
    )
    payment = services.payment_post(
        payer=claim.payer,
        method=rng.choice(["check", "eft"]),
        reference=reference,
        amount=total,
        received_on=received,
        by=by,
    )
    services.payment_allocate(payment=payment, claim=claim, lines=entries, by=by)


@transaction.atomic
def seed_billing(*, rng: random.Random | None = None) -> BillingSeedResult:
    """Bill about three quarters of the signed demo visits (oldest first) and work them through
    the claim statuses; the newest quarter stays in the work queue."""
    result = BillingSeedResult()
    if Claim.objects.exists() or Invoice.objects.exists():
        return result
    rng = rng or random.Random(2026)
    by = _biller()
    today = timezone.localdate()
    encounters = list(
        Encounter.objects.filter(status=EncounterStatus.SIGNED, date_of_service__lte=today)
        .select_related("patient")
        .order_by("date_of_service", "pk")
    )
    to_bill = encounters[: len(encounters) * 3 // 4]
    result.left_to_bill = len(encounters) - len(to_bill)
    claims: list[Claim] = []
    for encounter in to_bill:
        try:
            billed = services.claim_build(encounter=encounter, by=by)
        except ValidationError:
            continue  # e.g. a visit with no procedures: nothing to bill
        if isinstance(billed, Invoice):
            result.invoices += 1
        else:
            claims.append(billed)
            result.claims += 1

    # The older two thirds go out in one 837P batch; the rest stay draft or ready.
    ready = []
    cutoff = len(claims) * 2 // 3
    for index, claim in enumerate(claims):
        if index >= cutoff and index % 2:
            continue  # left as a draft for the biller to scrub
        try:
            services.claim_mark_ready(claim=claim, by=by)
        except ValidationError:
            continue  # the scrubber found a problem: it waits as a draft
        if index < cutoff:
            ready.append(claim)
    if ready:
        services.batch_create_837p(claim_ids=[claim.pk for claim in ready], by=by)
        result.submitted = len(ready)

    for index, claim in enumerate(ready):
        claim.refresh_from_db()
        if index % 7 == 3:
            services.claim_deny(
                claim=claim,
                reason="Missing or invalid modifier for the billed service",
                code="4",
                payer_claim_number=f"ICN{claim.pk:08d}",
                by=by,
            )
            result.denied += 1
        elif index % 3 != 2:
            services.claim_accept(claim=claim, payer_claim_number=f"ICN{claim.pk:08d}", by=by)
            _pay(claim, rng=rng, by=by, reference=f"DEMO-{claim.pk:06d}")
            result.paid += 1
            result.payments += 1

    # Copays at check-in for some insured visits, and a few patients paying their statements.
    for index, claim in enumerate(claims):
        if index % 4 == 0:
            services.patient_payment_post(
                patient=claim.patient,
                method=rng.choice(["card", "cash"]),
                amount=Decimal(rng.choice(["20.00", "25.00", "30.00"])),
                received_on=claim.encounter.date_of_service,
                is_copay=True,
                encounter=claim.encounter,
                by=by,
            )
            result.payments += 1
    return result
