from celery import Task, shared_task
from django.db import OperationalError

from emr import services


class DocumentTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Called once retries are exhausted (or on an error that is not retried).
        services.document_mark_failed(document_id=args[0], error=f"{type(exc).__name__}: {exc}")


@shared_task(
    base=DocumentTask,
    acks_late=True,
    autoretry_for=(OperationalError, OSError),
    retry_backoff=2,
    retry_backoff_max=60,
    retry_kwargs={"max_retries": 4},
)
def render_document(document_id: int) -> int:
    return services.document_render(document_id=document_id).pk
