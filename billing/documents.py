"""Billing's documents, rendered by emr's pipeline (a Celery task per document):
the CMS-1500 of a claim, a self-pay invoice, a patient statement or a batch's statements
merged in one PDF, and an 837P file."""

from __future__ import annotations

from django.utils import timezone

from billing.cms1500 import cms1500_context
from billing.ledger import patient_ledger
from billing.models import (
    Claim,
    ClaimBatch,
    Invoice,
    Statement,
    StatementBatch,
)
from emr.documents import RenderedFile, register
from emr.models import Clinic, Document, DocumentKind
from emr.pdf import render_pdf


def _claim_for_form(pk: int) -> Claim:
    return (
        Claim.objects.select_related(
            "patient", "coverage", "payer", "rendering_provider__user", "original_claim"
        )
        .prefetch_related("diagnoses", "lines")
        .get(pk=pk)
    )


@register(DocumentKind.CMS1500, permission="billing.view_claim")
def render_cms1500(document: Document) -> RenderedFile:
    claim = _claim_for_form(document.owner_id)
    content = render_pdf("billing/pdf/cms1500.html", cms1500_context(claim, Clinic.current()))
    return RenderedFile(filename=f"cms1500-{claim.number}.pdf", content=content)


@register(DocumentKind.INVOICE, permission="billing.view_invoice")
def render_invoice(document: Document) -> RenderedFile:
    invoice = (
        Invoice.objects.select_related("patient", "encounter__provider__user")
        .prefetch_related("lines")
        .get(pk=document.owner_id)
    )
    content = render_pdf(
        "billing/pdf/invoice.html",
        {
            "clinic": Clinic.current(),
            "invoice": invoice,
            "patient": invoice.patient,
            "lines": list(invoice.lines.all()),
            "printed_at": timezone.localtime(),
        },
    )
    return RenderedFile(filename=f"invoice-{invoice.number}.pdf", content=content)


class StatementMismatch(ValueError):
    """The ledger no longer adds up to the statement's amount (a payment was back-dated)."""


def statement_context(statement: Statement, clinic: Clinic | None) -> dict:
    ledger = patient_ledger(patient_id=statement.patient_id, as_of=statement.period_end)
    if ledger.patient_balance != statement.amount_due:
        raise StatementMismatch(
            f"statement {statement.pk} says ${statement.amount_due} but the ledger at "
            f"{statement.period_end} says ${ledger.patient_balance}; run the batch again"
        )
    return {
        "clinic": clinic,
        "statement": statement,
        "patient": statement.patient,
        "ledger": ledger,
        "entries": ledger.entries[-40:],
        "earlier_entries": max(len(ledger.entries) - 40, 0),
        "printed_at": timezone.localtime(),
    }


@register(DocumentKind.STATEMENT, permission="billing.view_statement")
def render_statement(document: Document) -> RenderedFile:
    clinic = Clinic.current()
    if document.owner_type.model_class() is StatementBatch:
        return _render_merged(StatementBatch.objects.get(pk=document.owner_id), clinic)
    statement = Statement.objects.select_related("patient").get(pk=document.owner_id)
    content = render_pdf("billing/pdf/statement.html", statement_context(statement, clinic))
    return RenderedFile(
        filename=f"statement-{statement.period_end:%Y-%m}-{statement.patient.mrn}.pdf",
        content=content,
    )


def _render_merged(batch: StatementBatch, clinic: Clinic | None) -> RenderedFile:
    """Every statement of the batch in one PDF, in patient order, each starting a new page."""
    statements = [
        statement_context(statement, clinic)
        for statement in Statement.objects.filter(batch=batch)
        .select_related("patient")
        .order_by("patient__last_name", "patient__first_name", "patient_id")
    ]
    if not statements:
        raise ValueError(f"statement batch {batch.pk} has no statements")
    content = render_pdf(
        "billing/pdf/statements_merged.html",
        {"clinic": clinic, "statements": statements, "batch": batch},
    )
    return RenderedFile(filename=f"statements-{batch.period_end:%Y-%m}-all.pdf", content=content)


@register(DocumentKind.X12_837P, permission="billing.view_claimbatch")
def render_837p(document: Document) -> RenderedFile:
    from billing.services.batches import X12_CONTENT_TYPE, batch_filename, batch_render_text

    batch = ClaimBatch.objects.get(pk=document.owner_id)
    return RenderedFile(
        filename=batch_filename(batch),
        content=batch_render_text(batch=batch).encode("ascii"),
        content_type=X12_CONTENT_TYPE,
    )
