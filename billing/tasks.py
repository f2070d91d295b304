"""Celery tasks of billing: thin, idempotent, retried with backoff. PDFs themselves are
rendered by emr's document task (render_document) through billing/documents.py."""

from celery import shared_task
from django.db import OperationalError

from billing import services


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=2,
    retry_backoff_max=60,
    retry_kwargs={"max_retries": 5},
)
def run_statement_batch(batch_id: int) -> int:
    return services.statement_batch_run(batch_id=batch_id).expected
