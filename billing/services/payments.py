"""Payments: a payer's check or EFT, allocated to claim lines with adjustments; and patient
payments (cash, card, check), copays at check-in among them.

Double posting is refused by unique constraints (a payer's check number once, a patient's
check once); allocations lock the payment and then the claim lines, in primary-key order, so
two people working the same payment or the same claim cannot over-apply it between them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from billing.models import (
    ZERO,
    Adjustment,
    AdjustmentGroup,
    Claim,
    ClaimLine,
    ClaimStatus,
    FrequencyCode,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    PaymentSource,
)
from charting.models import Encounter
from emr.models import Patient, Payer, User

CENT = Decimal("0.01")
PAYABLE = (ClaimStatus.SUBMITTED, ClaimStatus.ACCEPTED, ClaimStatus.DENIED, ClaimStatus.PAID)


def _money(value, label: str) -> Decimal:
    if not isinstance(value, Decimal):
        raise ValidationError({label: "Enter an amount in dollars and cents."})
    if value.as_tuple().exponent < -2:
        raise ValidationError({label: "Amounts have at most two decimals (cents)."})
    return value.quantize(CENT)


def _check_date(received_on: datetime.date) -> None:
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": "The date received cannot be in the future."})


def _create(payment: Payment, by: User | None, duplicate_message: str) -> Payment:
    payment._history_user = by
    try:
        # A savepoint: a refused duplicate leaves the caller's transaction usable.
        with transaction.atomic():
            payment.full_clean(validate_constraints=False)
            payment.save()
    except IntegrityError as error:
        raise ValidationError(duplicate_message, code="duplicate") from error
    return payment


@transaction.atomic
def payment_post(
    *,
    payer: Payer,
    method: str,
    reference: str,
    amount: Decimal,
    received_on: datetime.date,
    by: User | None,
    note: str = "",
) -> Payment:
    """Record a payer's check or EFT; it is then allocated to claim lines from its EOB."""
    amount = _money(amount, "amount")
    if amount <= 0:
        raise ValidationError({"amount": "A payment amount must be more than zero."})
    if method not in (PaymentMethod.CHECK, PaymentMethod.EFT):
        raise ValidationError({"method": "A payer pays by check or EFT."})
    reference = reference.strip()
    if not reference:
        raise ValidationError({"reference": "Enter the check or EFT number."})
    _check_date(received_on)
    return _create(
        Payment(
            source=PaymentSource.PAYER,
            payer=payer,
            method=method,
            reference=reference,
            amount=amount,
            received_on=received_on,
            note=note.strip(),
            posted_by=by,
        ),
        by,
        f"{payer.name} {PaymentMethod(method).label} {reference} has already been posted.",
    )


@transaction.atomic
def patient_payment_post(
    *,
    patient: Patient,
    method: str,
    amount: Decimal,
    received_on: datetime.date | None = None,
    reference: str = "",
    is_copay: bool = False,
    encounter: Encounter | None = None,
    by: User | None,
    note: str = "",
) -> Payment:
    """Money from the patient: cash, card or check, e.g. the copay taken at check-in. It lowers
    the patient's balance (a payment before any charge leaves a credit)."""
    received_on = received_on or timezone.localdate()
    amount = _money(amount, "amount")
    if amount <= 0:
        raise ValidationError({"amount": "A payment amount must be more than zero."})
    if method not in (PaymentMethod.CASH, PaymentMethod.CARD, PaymentMethod.CHECK):
        raise ValidationError({"method": "A patient pays by cash, card or check."})
    reference = reference.strip()
    if method == PaymentMethod.CHECK and not reference:
        raise ValidationError({"reference": "Enter the check number."})
    if encounter is not None and encounter.patient_id != patient.pk:
        raise ValidationError("That visit belongs to another patient.")
    _check_date(received_on)
    return _create(
        Payment(
            source=PaymentSource.PATIENT,
            patient=patient,
            method=method,
            reference=reference,
            amount=amount,
            received_on=received_on,
            is_copay=is_copay,
            encounter=encounter,
            note=note.strip(),
            posted_by=by,
        ),
        by,
        f"Check {reference} from this patient has already been posted.",
    )


@dataclass
class AdjustmentInput:
    group: str
    reason_code: str
    amount: Decimal


@dataclass
class LineAllocation:
    """What an EOB says about one claim line."""

    claim_line_id: int
    allowed: Decimal
    paid: Decimal
    adjustments: list[AdjustmentInput] = field(default_factory=list)


def _line_credits(line_ids: list[int]) -> dict[int, Decimal]:
    paid = dict(
        PaymentAllocation.objects.filter(claim_line_id__in=line_ids)
        .values("claim_line_id")
        .annotate(total=Sum("paid"))
        .values_list("claim_line_id", "total")
    )
    adjusted = dict(
        Adjustment.objects.filter(claim_line_id__in=line_ids)
        .values("claim_line_id")
        .annotate(total=Sum("amount"))
        .values_list("claim_line_id", "total")
    )
    return {
        line_id: (paid.get(line_id) or ZERO) + (adjusted.get(line_id) or ZERO)
        for line_id in line_ids
    }


@transaction.atomic
def payment_allocate(
    *, payment: Payment, claim: Claim, lines: list[LineAllocation], by: User | None
) -> list[PaymentAllocation]:
    """Apply part of a payer payment to one claim's lines, with the EOB's adjustments.

    Refused, with nothing saved: more than the payment's unapplied amount, more than a line's
    charge (paid plus adjustments), paid above allowed, a line applied twice by one payment.
    PR adjustments move to the patient's balance; CO and OA are written off. A claim whose
    lines are fully settled becomes paid.
    """
    # Lock order everywhere: payment, then claim, then its lines by primary key.
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    claim = Claim.objects.select_for_update(of=("self",)).get(pk=claim.pk)
    if payment.source != PaymentSource.PAYER:
        raise ValidationError("Only a payer payment is allocated to claim lines.")
    if claim.payer_id != payment.payer_id:
        raise ValidationError("This claim was sent to another payer.")
    if claim.status not in PAYABLE or claim.frequency_code == FrequencyCode.VOID:
        raise ValidationError(
            f"Payments are posted to sent claims; this claim is {claim.get_status_display().lower()}."
        )
    if not lines:
        raise ValidationError("Enter at least one line of the EOB.")
    claim_lines = {
        line.pk: line
        for line in ClaimLine.objects.select_for_update().filter(claim=claim).order_by("pk")
    }
    ids = [line.claim_line_id for line in lines]
    if len(set(ids)) != len(ids):
        raise ValidationError("A line appears twice.")
    if any(line_id not in claim_lines for line_id in ids):
        raise ValidationError("A line does not belong to this claim.")
    if PaymentAllocation.objects.filter(payment=payment, claim_line_id__in=ids).exists():
        raise ValidationError(
            "This payment is already applied to this claim: it cannot be posted twice.",
            code="duplicate",
        )

    errors: list[str] = []
    credits = _line_credits(ids)
    total_paid = ZERO
    for entry in lines:
        line = claim_lines[entry.claim_line_id]
        name = f"Line {line.line_number} ({line.code})"
        allowed = _money(entry.allowed, "allowed")
        paid = _money(entry.paid, "paid")
        if allowed < 0 or paid < 0:
            errors.append(f"{name}: amounts cannot be negative.")
        if paid > allowed:
            errors.append(f"{name}: the paid amount ${paid} is more than the allowed ${allowed}.")
        if allowed > line.charge:
            errors.append(
                f"{name}: the allowed amount ${allowed} is more than the charge ${line.charge}."
            )
        adjusted = ZERO
        for adjustment in entry.adjustments:
            amount = _money(adjustment.amount, "amount")
            if adjustment.group not in AdjustmentGroup.values:
                errors.append(f"{name}: the adjustment group must be CO, PR or OA.")
            code = adjustment.reason_code.strip().upper()
            if not code or len(code) > 5 or not code.isalnum():
                errors.append(f"{name}: enter the adjustment's reason code (CARC), e.g. 45.")
            if amount <= 0:
                errors.append(f"{name}: an adjustment amount must be more than zero.")
            adjusted += amount
        remaining = line.charge - credits[line.pk]
        if paid + adjusted > remaining:
            errors.append(
                f"{name}: paid ${paid} plus adjustments ${adjusted} is more than the "
                f"${remaining} still open on the line."
            )
        total_paid += paid
    applied = (
        PaymentAllocation.objects.filter(payment=payment).aggregate(total=Sum("paid"))["total"]
        or ZERO
    )
    unapplied = payment.amount - applied
    if total_paid > unapplied:
        errors.append(
            f"Over-allocation: ${total_paid} is more than the ${unapplied} left on this payment."
        )
    if errors:
        raise ValidationError(errors)

    allocations = []
    for entry in lines:
        allocation = PaymentAllocation(
            payment=payment,
            claim_line_id=entry.claim_line_id,
            allowed=entry.allowed.quantize(CENT),
            paid=entry.paid.quantize(CENT),
            posted_by=by,
        )
        allocation._history_user = by
        allocation.save()
        allocations.append(allocation)
        for adjustment in entry.adjustments:
            record = Adjustment(
                claim_line_id=entry.claim_line_id,
                payment=payment,
                group=adjustment.group,
                reason_code=adjustment.reason_code.strip().upper(),
                amount=adjustment.amount.quantize(CENT),
                posted_by=by,
            )
            record._history_user = by
            record.save()
    _mark_paid_when_settled(claim, by)
    return allocations


def _mark_paid_when_settled(claim: Claim, by: User | None) -> None:
    line_ids = list(claim.lines.values_list("pk", flat=True))
    charges = claim.lines.aggregate(total=Sum("charge"))["total"] or ZERO
    settled = sum(_line_credits(line_ids).values(), ZERO)
    if settled >= charges and claim.status != ClaimStatus.PAID:
        claim.status = ClaimStatus.PAID
        claim._history_user = by
        claim.save(update_fields=["status", "updated_at"])
