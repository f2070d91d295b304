"""Month-end patient statements: one per patient with a balance and period, rendered as PDFs
by Celery. Running a period again adds only what is missing: a statement is unique per
patient and period, and a statement whose PDF is ready is never rendered again."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing.ledger import patient_balances
from billing.models import Statement, StatementBatch
from emr.models import DocumentKind, DocumentStatus, Patient, User
from emr.services import document_request


def _period_title(period_end: datetime.date) -> str:
    return period_end.strftime("%B %Y")


@transaction.atomic
def statement_batch_start(*, period_end: datetime.date, by: User | None) -> StatementBatch:
    """Create (or reuse) the period's batch and queue its run once this transaction commits."""
    from billing.tasks import run_statement_batch

    if period_end > timezone.localdate():
        raise ValidationError({"period_end": "Statements are for a period that has ended."})
    batch, _created = StatementBatch.objects.get_or_create(
        period_end=period_end, defaults={"started_by": by}
    )
    transaction.on_commit(lambda: run_statement_batch.delay(batch.pk))
    return batch


def statement_batch_run(*, batch_id: int) -> StatementBatch:
    """Make the statement of every patient with a balance at the period's end, and queue the
    PDF of each one that has none ready. Safe to run any number of times."""
    with transaction.atomic():
        # The batch row lock keeps two runs of one period from interleaving.
        batch = StatementBatch.objects.select_for_update().get(pk=batch_id)
        balances = {
            patient_id: amount
            for patient_id, amount in patient_balances(as_of=batch.period_end).items()
            if amount > 0
        }
        existing = {
            statement.patient_id: statement
            for statement in Statement.objects.filter(batch=batch).select_related("document")
        }
        patients = Patient.objects.in_bulk([pk for pk in balances if pk not in existing])
        for patient_id, amount in sorted(balances.items()):
            statement = existing.get(patient_id)
            if statement is None:
                statement = Statement.objects.create(
                    batch=batch,
                    patient=patients[patient_id],
                    period_end=batch.period_end,
                    amount_due=amount,
                )
            document = statement.document
            if document is not None and document.status != DocumentStatus.FAILED:
                continue  # ready, or on its way
            if statement.amount_due != amount:
                statement.amount_due = amount
            patient = patients.get(patient_id) or statement.patient
            statement.document = document_request(
                kind=DocumentKind.STATEMENT,
                owner=statement,
                patient=patient,
                title=f"Statement {_period_title(batch.period_end)}: {patient.full_name}",
                requested_by=batch.started_by,
            )
            statement.save(update_fields=["document", "amount_due", "updated_at"])
        batch.expected = Statement.objects.filter(batch=batch).count()
        batch.last_run_at = timezone.now()
        batch.save(update_fields=["expected", "last_run_at", "updated_at"])
    return batch


@transaction.atomic
def statement_batch_merge(*, batch: StatementBatch, by: User | None):
    """Queue one PDF of every statement of the batch, for printing in one go."""
    batch = StatementBatch.objects.select_for_update().get(pk=batch.pk)
    statements = Statement.objects.filter(batch=batch)
    if not statements.exists():
        raise ValidationError("This batch has no statements yet.")
    if statements.exclude(document__status=DocumentStatus.READY).exists():
        raise ValidationError("Wait until every statement is ready, then merge them.")
    document = batch.merged_document
    if document is not None and (
        document.status == DocumentStatus.PENDING
        or (
            document.status == DocumentStatus.READY
            and not statements.filter(updated_at__gt=document.created_at).exists()
        )
    ):
        return document  # on its way, or already holding every statement
    batch.merged_document = document_request(
        kind=DocumentKind.STATEMENT,
        owner=batch,
        title=f"Statements {_period_title(batch.period_end)} (all, one PDF)",
        requested_by=by,
    )
    batch.save(update_fields=["merged_document", "updated_at"])
    return batch.merged_document
