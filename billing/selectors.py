"""Reads that shape billing's pages; each decides its page's queries in one place."""

from __future__ import annotations

import datetime

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum

from billing.models import (
    Claim,
    ClaimBatch,
    ClaimLine,
    ClaimStatus,
    FrequencyCode,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentSource,
    Statement,
    StatementBatch,
)
from charting.models import Encounter, EncounterStatus
from emr.history import HistoryEntry, history_entries, newest_first
from emr.models import DocumentStatus


def encounter_list_to_bill(
    *,
    provider_id: int | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[Encounter]:
    """Signed visits not yet billed: no claim (other than one voided before it was sent) and no
    invoice."""
    billed = Claim.objects.filter(encounter=OuterRef("pk")).filter(
        ~Q(status=ClaimStatus.VOID) | Q(frequency_code=FrequencyCode.VOID) | Q(superseded=True)
    )
    invoiced = Invoice.objects.filter(encounter=OuterRef("pk"), status=InvoiceStatus.ISSUED)
    encounters = (
        Encounter.objects.filter(status=EncounterStatus.SIGNED)
        .filter(~Exists(billed), ~Exists(invoiced))
        .select_related("patient", "provider__user")
        .annotate(procedure_count=Count("procedures"))
    )
    if provider_id:
        encounters = encounters.filter(provider_id=provider_id)
    if date_from:
        encounters = encounters.filter(date_of_service__gte=date_from)
    if date_to:
        encounters = encounters.filter(date_of_service__lte=date_to)
    return encounters.order_by("date_of_service", "pk")


def claim_list_for_queue(
    *,
    status: str = "",
    payer_id: int | None = None,
    provider_id: int | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    patient_id: int | None = None,
) -> QuerySet[Claim]:
    """Claims with their totals, filtered as the work queue asks; a constant number of queries
    whatever the page size."""
    claims = Claim.objects.select_related(
        "patient", "payer", "rendering_provider__user", "encounter"
    ).annotate(total=Sum("lines__charge"))
    if status:
        claims = claims.filter(status=status)
    if payer_id:
        claims = claims.filter(payer_id=payer_id)
    if provider_id:
        claims = claims.filter(rendering_provider_id=provider_id)
    if date_from:
        claims = claims.filter(encounter__date_of_service__gte=date_from)
    if date_to:
        claims = claims.filter(encounter__date_of_service__lte=date_to)
    if patient_id:
        claims = claims.filter(patient_id=patient_id)
    return claims.order_by("-created_at", "-pk")


def claim_status_counts() -> dict[str, int]:
    counts = dict(
        Claim.objects.values("status").annotate(count=Count("pk")).values_list("status", "count")
    )
    return {status: counts.get(status, 0) for status in ClaimStatus.values}


def claim_history_entries(*, claim: Claim) -> list[HistoryEntry]:
    """Field-level changes to a claim, newest first."""
    records = claim.history.select_related("history_user").order_by("history_date", "history_id")
    return newest_first(
        history_entries(records, lambda record: f"Claim ({record.get_status_display()})")
    )


def claim_get_for_detail(*, pk: int) -> Claim:
    return (
        Claim.objects.select_related(
            "patient",
            "coverage__payer",
            "payer",
            "rendering_provider__user",
            "encounter__provider__user",
            "original_claim",
            "batch",
            "created_by",
        )
        .prefetch_related(
            "diagnoses__code",
            Prefetch(
                "lines",
                queryset=ClaimLine.objects.order_by("line_number").prefetch_related(
                    Prefetch(
                        "allocations",
                        queryset=PaymentAllocation.objects.select_related("payment"),
                    ),
                    "adjustments",
                ),
            ),
            Prefetch("follow_ups", queryset=Claim.objects.order_by("pk")),
        )
        .annotate(total=Sum("lines__charge"))
        .get(pk=pk)
    )


def open_claims_for_payment(*, payment: Payment) -> QuerySet[Claim]:
    """The payer's sent claims that a payment could be applied to, oldest visit first."""
    return (
        Claim.objects.filter(
            payer_id=payment.payer_id,
            status__in=[
                ClaimStatus.SUBMITTED,
                ClaimStatus.ACCEPTED,
                ClaimStatus.DENIED,
                ClaimStatus.PAID,
            ],
        )
        .exclude(frequency_code=FrequencyCode.VOID)
        .select_related("patient", "encounter")
        .annotate(total=Sum("lines__charge"))
        .order_by("encounter__date_of_service", "pk")
    )


def payment_list(*, source: str = "") -> QuerySet[Payment]:
    payments = Payment.objects.select_related("payer", "patient", "posted_by").annotate(
        applied=Sum("allocations__paid")
    )
    if source:
        payments = payments.filter(source=source)
    return payments.order_by("-received_on", "-pk")


def payment_get_for_detail(*, pk: int) -> Payment:
    return (
        Payment.objects.select_related("payer", "patient", "posted_by", "encounter")
        .prefetch_related(
            Prefetch(
                "allocations",
                queryset=PaymentAllocation.objects.select_related(
                    "claim_line__claim__patient"
                ).order_by("claim_line__claim_id", "claim_line__line_number"),
            ),
            "adjustments__claim_line",
        )
        .annotate(applied=Sum("allocations__paid"))
        .get(pk=pk)
    )


def batch_list() -> QuerySet[ClaimBatch]:
    return (
        ClaimBatch.objects.select_related("document", "created_by")
        .annotate(claim_count=Count("claims"))
        .order_by("-generated_at", "-pk")
    )


def statement_batch_progress(*, batch: StatementBatch) -> dict:
    counts = dict(
        Statement.objects.filter(batch=batch)
        .values("document__status")
        .annotate(count=Count("pk"))
        .values_list("document__status", "count")
    )
    ready = counts.get(DocumentStatus.READY, 0)
    failed = counts.get(DocumentStatus.FAILED, 0)
    total = sum(counts.values())
    expected = max(batch.expected, total)
    return {
        "ready": ready,
        "failed": failed,
        "pending": total - ready - failed,
        "total": expected,
        "percent": int(ready * 100 / expected) if expected else 0,
        "started": batch.last_run_at is not None,
        "done": batch.last_run_at is not None and ready + failed == total,
    }


def statement_list_for_batch(*, batch: StatementBatch) -> QuerySet[Statement]:
    return (
        Statement.objects.filter(batch=batch)
        .select_related("patient", "document")
        .order_by("patient__last_name", "patient__first_name", "pk")
    )


def patient_payments(*, patient_id: int) -> QuerySet[Payment]:
    return Payment.objects.filter(source=PaymentSource.PATIENT, patient_id=patient_id)
