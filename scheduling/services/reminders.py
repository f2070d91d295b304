"""The day-before email reminders that Celery beat sends, each exactly once."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from emr.models import Clinic
from scheduling import availability
from scheduling.models import Appointment, AppointmentStatus

logger = logging.getLogger(__name__)


def appointment_ids_due_reminder(*, now: datetime.datetime | None = None) -> list[int]:
    """Booked appointments tomorrow (clinic time) whose patient has an email and no reminder yet."""
    now = now or timezone.now()
    tomorrow = availability.day_bounds(timezone.localtime(now).date() + datetime.timedelta(days=1))
    return list(
        Appointment.objects.filter(
            status=AppointmentStatus.BOOKED,
            reminder_sent_at__isnull=True,
            start__gte=tomorrow.start,
            start__lt=tomorrow.end,
        )
        .exclude(patient__email="")
        .order_by("start", "pk")
        .values_list("pk", flat=True)
    )


def appointment_send_reminder(*, appointment_id: int, now: datetime.datetime | None = None) -> bool:
    """Email one reminder, at most once: the row stays locked from the check to the stamp.

    A second run at the same moment skips the locked row; a later run sees the stamp. If the
    mail server fails, the transaction rolls back and the next run tries again.
    """
    now = now or timezone.now()
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("patient", "provider__user", "appointment_type")
            .filter(pk=appointment_id)
            .first()
        )
        if (
            appointment is None
            or appointment.reminder_sent_at is not None
            or appointment.status != AppointmentStatus.BOOKED
            or not appointment.patient.email
        ):
            return False
        clinic = Clinic.current()
        context = {"appointment": appointment, "patient": appointment.patient, "clinic": clinic}
        clinic_name = clinic.name if clinic else "the clinic"
        send_mail(
            subject=f"Reminder: your appointment at {clinic_name} on "
            f"{timezone.localtime(appointment.start):%A %m/%d at %H:%M}",
            message=render_to_string("scheduling/email/reminder.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[appointment.patient.email],
        )
        Appointment.objects.filter(pk=appointment.pk).update(reminder_sent_at=now)
    return True


def appointment_reminders_send(*, now: datetime.datetime | None = None) -> int:
    """Send every reminder due now; returns how many were sent. Safe to run twice."""
    sent = 0
    for appointment_id in appointment_ids_due_reminder(now=now):
        try:
            if appointment_send_reminder(appointment_id=appointment_id, now=now):
                sent += 1
        except OSError:
            # One unreachable mailbox must not stop the others; the next run retries it.
            logger.exception("Reminder for appointment %s could not be sent", appointment_id)
    return sent
