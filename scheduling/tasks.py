from celery import shared_task
from django.db import OperationalError

from scheduling import services


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_kwargs={"max_retries": 3},
)
def send_appointment_reminders() -> int:
    """Celery beat runs this hourly: email tomorrow's patients, each exactly once."""
    return services.appointment_reminders_send()
