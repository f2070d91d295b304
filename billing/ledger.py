"""Balances, the patient ledger and A/R aging, computed from charges, allocations,
adjustments and payments (nothing here is stored).

- Charges: the lines of live claims (not replaced, not void, not void requests) and of issued
  invoices. Money received and adjustments count wherever they were posted, so a payment on
  a claim that was later replaced still counts for the visit.
- Insurance balance = claim charges - payer paid - every adjustment (CO/OA written off, PR moved).
- Patient balance = PR adjustments + invoice charges - patient payments.
- Account balance = insurance balance + patient balance.

Each function answers with a fixed number of queries, whatever the number of patients.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from billing.models import (
    ZERO,
    Adjustment,
    AdjustmentGroup,
    ClaimLine,
    ClaimStatus,
    FrequencyCode,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentSource,
)

BUCKETS = ["0-30", "31-60", "61-90", "91-120", "120+"]

LIVE_CLAIM = (
    Q(claim__superseded=False)
    & ~Q(claim__status=ClaimStatus.VOID)
    & ~Q(claim__frequency_code=FrequencyCode.VOID)
)


def bucket_for(age_days: int) -> str:
    if age_days <= 30:
        return "0-30"
    if age_days <= 60:
        return "31-60"
    if age_days <= 90:
        return "61-90"
    if age_days <= 120:
        return "91-120"
    return "120+"


def _empty_buckets() -> dict[str, Decimal]:
    return dict.fromkeys(BUCKETS, ZERO)


# --- One patient's ledger -------------------------------------------------------------------


@dataclass
class LedgerEntry:
    date: datetime.date
    kind: str  # charge, payment, adjustment, transfer
    description: str
    amount: Decimal  # effect on the account balance (+ charge, - credit)
    patient_amount: Decimal  # effect on the patient's own balance
    reference: str = ""
    url: str = ""
    balance: Decimal = ZERO
    patient_balance: Decimal = ZERO
    order: int = 0


@dataclass
class Ledger:
    entries: list[LedgerEntry] = field(default_factory=list)
    insurance_balance: Decimal = ZERO
    patient_balance: Decimal = ZERO

    @property
    def balance(self) -> Decimal:
        return self.insurance_balance + self.patient_balance

    @property
    def charges(self) -> Decimal:
        return sum((e.amount for e in self.entries if e.kind == "charge"), ZERO)


def _adjustment_day():
    return Coalesce(F("payment__received_on"), TruncDate("created_at"))


def patient_ledger(*, patient_id: int, as_of: datetime.date | None = None) -> Ledger:
    """Charges, payments and adjustments of one patient in date order with running balances
    (five queries)."""
    entries: list[LedgerEntry] = []

    claim_lines = ClaimLine.objects.filter(LIVE_CLAIM, claim__patient_id=patient_id).select_related(
        "claim__payer"
    )
    invoice_lines = InvoiceLine.objects.filter(
        invoice__patient_id=patient_id, invoice__status=InvoiceStatus.ISSUED
    ).select_related("invoice")
    allocations = PaymentAllocation.objects.filter(
        claim_line__claim__patient_id=patient_id
    ).select_related("payment__payer", "claim_line__claim")
    adjustments = (
        Adjustment.objects.filter(claim_line__claim__patient_id=patient_id)
        .annotate(day=_adjustment_day())
        .select_related("claim_line__claim")
    )
    payments = Payment.objects.filter(source=PaymentSource.PATIENT, patient_id=patient_id)
    if as_of is not None:
        claim_lines = claim_lines.filter(date_of_service__lte=as_of)
        invoice_lines = invoice_lines.filter(date_of_service__lte=as_of)
        allocations = allocations.filter(payment__received_on__lte=as_of)
        adjustments = adjustments.filter(day__lte=as_of)
        payments = payments.filter(received_on__lte=as_of)

    for line in claim_lines:
        claim = line.claim
        entries.append(
            LedgerEntry(
                date=line.date_of_service,
                kind="charge",
                description=f"{line.code} {line.description} (billed to {claim.payer.name})",
                amount=line.charge,
                patient_amount=ZERO,
                reference=claim.number,
                url=claim.get_absolute_url(),
                order=0,
            )
        )
    for line in invoice_lines:
        entries.append(
            LedgerEntry(
                date=line.date_of_service,
                kind="charge",
                description=f"{line.code} {line.description} (self-pay)",
                amount=line.charge,
                patient_amount=line.charge,
                reference=line.invoice.number,
                url=line.invoice.get_absolute_url(),
                order=0,
            )
        )
    for allocation in allocations:
        payment = allocation.payment
        entries.append(
            LedgerEntry(
                date=payment.received_on,
                kind="payment",
                description=f"{payment.payer.name} {payment.get_method_display()} "
                f"{payment.reference} on {allocation.claim_line.code}",
                amount=-allocation.paid,
                patient_amount=ZERO,
                reference=allocation.claim_line.claim.number,
                url=payment.get_absolute_url(),
                order=1,
            )
        )
    for adjustment in adjustments:
        claim = adjustment.claim_line.claim
        if adjustment.group == AdjustmentGroup.PATIENT:
            entries.append(
                LedgerEntry(
                    date=adjustment.day,
                    kind="transfer",
                    description=f"Patient responsibility PR-{adjustment.reason_code} on "
                    f"{adjustment.claim_line.code}",
                    amount=ZERO,
                    patient_amount=adjustment.amount,
                    reference=claim.number,
                    url=claim.get_absolute_url(),
                    order=2,
                )
            )
        else:
            entries.append(
                LedgerEntry(
                    date=adjustment.day,
                    kind="adjustment",
                    description=f"Adjustment {adjustment.group}-{adjustment.reason_code} on "
                    f"{adjustment.claim_line.code}",
                    amount=-adjustment.amount,
                    patient_amount=ZERO,
                    reference=claim.number,
                    url=claim.get_absolute_url(),
                    order=2,
                )
            )
    for payment in payments:
        kind = "Copay" if payment.is_copay else "Patient payment"
        entries.append(
            LedgerEntry(
                date=payment.received_on,
                kind="payment",
                description=f"{kind}, {payment.get_method_display().lower()}"
                + (f" {payment.reference}" if payment.reference else ""),
                amount=-payment.amount,
                patient_amount=-payment.amount,
                url=payment.get_absolute_url(),
                order=3,
            )
        )

    entries.sort(key=lambda entry: (entry.date, entry.order))
    balance = patient_balance = ZERO
    for entry in entries:
        balance += entry.amount
        patient_balance += entry.patient_amount
        entry.balance = balance
        entry.patient_balance = patient_balance
    return Ledger(
        entries=entries,
        insurance_balance=balance - patient_balance,
        patient_balance=patient_balance,
    )


# --- Aging of every account -----------------------------------------------------------------


@dataclass
class AgingRow:
    key: int
    label: str
    buckets: dict[str, Decimal] = field(default_factory=_empty_buckets)
    credit: Decimal = ZERO  # a patient's unapplied payments beyond what they owe

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)


@dataclass
class Aging:
    as_of: datetime.date
    by_payer: list[AgingRow]
    by_patient: list[AgingRow]

    def _totals(self, rows) -> dict[str, Decimal]:
        totals = _empty_buckets()
        for row in rows:
            for bucket, value in row.buckets.items():
                totals[bucket] += value
        return totals

    @property
    def payer_totals(self) -> dict[str, Decimal]:
        return self._totals(self.by_payer)

    @property
    def patient_totals(self) -> dict[str, Decimal]:
        return self._totals(self.by_patient)

    @property
    def totals(self) -> dict[str, Decimal]:
        payer, patient = self.payer_totals, self.patient_totals
        return {bucket: payer[bucket] + patient[bucket] for bucket in BUCKETS}

    @property
    def total(self) -> Decimal:
        return sum(self.totals.values(), ZERO)


def _patient_open_items(
    *, as_of: datetime.date | None, patient_id: int | None = None
) -> tuple[dict[int, list[tuple[datetime.date, Decimal]]], dict[int, Decimal], dict[int, str]]:
    """Per patient: what they owe, by date of service, and what they paid (three queries)."""
    responsibility = Adjustment.objects.filter(group=AdjustmentGroup.PATIENT)
    invoices = InvoiceLine.objects.filter(invoice__status=InvoiceStatus.ISSUED)
    payments = Payment.objects.filter(source=PaymentSource.PATIENT)
    if patient_id is not None:
        responsibility = responsibility.filter(claim_line__claim__patient_id=patient_id)
        invoices = invoices.filter(invoice__patient_id=patient_id)
        payments = payments.filter(patient_id=patient_id)
    if as_of is not None:
        responsibility = responsibility.annotate(day=_adjustment_day()).filter(day__lte=as_of)
        invoices = invoices.filter(date_of_service__lte=as_of)
        payments = payments.filter(received_on__lte=as_of)

    items: dict[int, list[tuple[datetime.date, Decimal]]] = defaultdict(list)
    names: dict[int, str] = {}
    for row in (
        responsibility.values(
            "claim_line__claim__patient_id",
            "claim_line__date_of_service",
            "claim_line__claim__patient__last_name",
            "claim_line__claim__patient__first_name",
        )
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        key = row["claim_line__claim__patient_id"]
        items[key].append((row["claim_line__date_of_service"], row["total"]))
        names[key] = (
            f"{row['claim_line__claim__patient__last_name']}, "
            f"{row['claim_line__claim__patient__first_name']}"
        )
    for row in (
        invoices.values(
            "invoice__patient_id",
            "date_of_service",
            "invoice__patient__last_name",
            "invoice__patient__first_name",
        )
        .annotate(total=Sum("charge"))
        .order_by()
    ):
        key = row["invoice__patient_id"]
        items[key].append((row["date_of_service"], row["total"]))
        names[key] = f"{row['invoice__patient__last_name']}, {row['invoice__patient__first_name']}"
    paid: dict[int, Decimal] = {}
    for row in (
        payments.values("patient_id", "patient__last_name", "patient__first_name")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        paid[row["patient_id"]] = row["total"]
        names[row["patient_id"]] = f"{row['patient__last_name']}, {row['patient__first_name']}"
    return items, paid, names


def _age_patient(
    items: list[tuple[datetime.date, Decimal]], paid: Decimal, as_of: datetime.date
) -> tuple[dict[str, Decimal], Decimal]:
    """Patient payments settle the oldest charges first; what is left is aged by its date."""
    buckets = _empty_buckets()
    remaining_credit = paid
    for day, amount in sorted(items):
        applied = min(amount, remaining_credit)
        remaining_credit -= applied
        open_amount = amount - applied
        if open_amount:
            buckets[bucket_for((as_of - day).days)] += open_amount
    return buckets, remaining_credit


def aging_report(*, as_of: datetime.date | None = None) -> Aging:
    """A/R aging by payer (insurance balances) and by patient (patient balances), in 0-30,
    31-60, 61-90, 91-120 and 120+ days from the date of service. Six queries."""
    as_of = as_of or timezone.localdate()
    # Insurance: per visit, the live claim's charges less everything posted on the visit.
    charges = (
        ClaimLine.objects.filter(LIVE_CLAIM, date_of_service__lte=as_of)
        .values(
            "claim__encounter_id",
            "claim__encounter__date_of_service",
            "claim__payer_id",
            "claim__payer__name",
        )
        .annotate(total=Sum("charge"))
        .values_list(
            "claim__encounter_id",
            "claim__encounter__date_of_service",
            "claim__payer_id",
            "claim__payer__name",
            "total",
        )
        .order_by()
    )
    credits: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for encounter_id, total in (
        PaymentAllocation.objects.filter(payment__received_on__lte=as_of)
        .values("claim_line__claim__encounter_id")
        .annotate(total=Sum("paid"))
        .values_list("claim_line__claim__encounter_id", "total")
        .order_by()
    ):
        credits[encounter_id] += total
    for encounter_id, total in (
        Adjustment.objects.annotate(day=_adjustment_day())
        .filter(day__lte=as_of)
        .values("claim_line__claim__encounter_id")
        .annotate(total=Sum("amount"))
        .values_list("claim_line__claim__encounter_id", "total")
        .order_by()
    ):
        credits[encounter_id] += total

    payers: dict[int, AgingRow] = {}
    for encounter_id, date_of_service, payer_id, payer_name, total in charges:
        open_amount = total - credits[encounter_id]
        if not open_amount:
            continue
        row = payers.setdefault(payer_id, AgingRow(key=payer_id, label=payer_name))
        row.buckets[bucket_for((as_of - date_of_service).days)] += open_amount

    items, paid, names = _patient_open_items(as_of=as_of)
    patients = []
    for patient_id in set(items) | set(paid):
        buckets, credit = _age_patient(items.get(patient_id, []), paid.get(patient_id, ZERO), as_of)
        row = AgingRow(key=patient_id, label=names[patient_id], buckets=buckets, credit=credit)
        if row.total or credit:
            patients.append(row)
    return Aging(
        as_of=as_of,
        by_payer=sorted(payers.values(), key=lambda row: row.label),
        by_patient=sorted(patients, key=lambda row: (row.label, row.key)),
    )


def patient_balances(*, as_of: datetime.date | None = None) -> dict[int, Decimal]:
    """Every patient's own balance (what they owe, less what they paid): three queries."""
    items, paid, _names = _patient_open_items(as_of=as_of)
    return {
        patient_id: sum((amount for _day, amount in items.get(patient_id, [])), ZERO)
        - paid.get(patient_id, ZERO)
        for patient_id in set(items) | set(paid)
    }


def patient_balance(*, patient_id: int) -> Decimal:
    items, paid, _names = _patient_open_items(as_of=None, patient_id=patient_id)
    return sum((amount for _day, amount in items.get(patient_id, [])), ZERO) - paid.get(
        patient_id, ZERO
    )
