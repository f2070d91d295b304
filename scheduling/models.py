from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from emr.models import Coverage, Patient, Provider, TimeStampedModel

# The grid of the day view and the steps of "find next available".
SLOT_MINUTES = 15
# No appointment is longer than this; the overlap checks (and the database trigger) rely on it
# to look only at a short range of the (provider, start) index.
MAX_APPOINTMENT_HOURS = 12

validate_color = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", "Enter a color as # and six hex digits, e.g. #0d6efd."
)


class AppointmentType(TimeStampedModel):
    name = models.CharField(max_length=60, unique=True)
    duration_minutes = models.PositiveSmallIntegerField(
        "duration (minutes)",
        validators=[MinValueValidator(5), MaxValueValidator(MAX_APPOINTMENT_HOURS * 60)],
        help_text="The booked length: the end time follows from it.",
    )
    color = models.CharField(max_length=7, default="#6c757d", validators=[validate_color])
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5)
                & Q(duration_minutes__lte=MAX_APPOINTMENT_HOURS * 60),
                name="appointmenttype_duration_in_range",
                violation_error_message="An appointment lasts between 5 minutes and 12 hours.",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.duration_minutes} min)"

    @property
    def duration(self) -> datetime.timedelta:
        return datetime.timedelta(minutes=self.duration_minutes)


class Weekday(models.IntegerChoices):
    """Python's date.weekday() numbering."""

    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class WorkingHours(TimeStampedModel):
    """One block of a provider's regular week, in the clinic's local time (e.g. Mon 8:00-12:00)."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["provider", "weekday", "start"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="workinghours_ends_after_start",
                violation_error_message="Working hours must end after they start.",
            ),
        ]

    def __str__(self):
        return f"{self.provider}: {self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"

    def clean(self):
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "Working hours must end after they start."})
        if self.provider_id is None or self.start is None or self.end is None:
            return
        clash = (
            WorkingHours.objects.filter(
                provider_id=self.provider_id,
                weekday=self.weekday,
                start__lt=self.end,
                end__gt=self.start,
            )
            .exclude(pk=self.pk)
            .first()
        )
        if clash:
            raise ValidationError(
                f"These hours overlap {clash.start:%H:%M}-{clash.end:%H:%M} on the same day. "
                "Edit that block instead."
            )


class TimeOff(TimeStampedModel):
    """A period a provider cannot be booked: vacation, meetings, training."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="time_off")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200, help_text="e.g. vacation, staff meeting")
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["provider", "start"]
        verbose_name_plural = "time off"
        indexes = [models.Index(fields=["provider", "start"], name="timeoff_provider_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="timeoff_ends_after_start",
                violation_error_message="Time off must end after it starts.",
            ),
        ]

    def __str__(self):
        start = timezone.localtime(self.start)
        end = timezone.localtime(self.end)
        return f"{self.provider}: {self.reason} {start:%m/%d/%Y %H:%M} - {end:%m/%d/%Y %H:%M}"

    def clean(self):
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "Time off must end after it starts."})


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    ARRIVED = "arrived", "Arrived"
    IN_ROOM = "in_room", "In room"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


# A live appointment holds its slot; cancelled and no-show ones stay on record but free it.
# The database trigger in migration 0002 uses the same list.
LIVE_STATUSES = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.IN_ROOM,
    AppointmentStatus.COMPLETED,
)


class Appointment(TimeStampedModel):
    # patient and provider lead the composite indexes below, which serve their lookups too.
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="appointments", db_index=False
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="appointments", db_index=False
    )
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, related_name="appointments"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    reason = models.CharField("reason for visit", max_length=200, blank=True)
    notes = models.TextField(blank=True)
    # The who-did-it columns carry no index: nothing searches by them and users are never
    # deleted, while every index slows each booking a little on a large table.
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # Who moved the appointment along, and when; the history keeps every change as well.
    arrived_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    checked_in_coverage = models.ForeignKey(
        Coverage,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        help_text="The coverage confirmed with the patient at check-in; empty for self-pay.",
    )
    roomed_at = models.DateTimeField(null=True, blank=True)
    roomed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    cancel_reason = models.CharField(max_length=200, blank=True)
    no_show_at = models.DateTimeField("marked no-show at", null=True, blank=True)
    no_show_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["start", "pk"]
        permissions = [
            (
                "change_appointment_status",
                "Can move an appointment along (rooming, completion, no-show)",
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "start"], name="appointment_provider_start"),
            models.Index(fields=["patient", "start"], name="appointment_patient_start"),
            models.Index(fields=["start"], name="appointment_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="appointment_ends_after_start",
                violation_error_message="An appointment must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(end__lte=F("start") + datetime.timedelta(hours=MAX_APPOINTMENT_HOURS)),
                name="appointment_at_most_12_hours",
                violation_error_message="An appointment cannot last more than 12 hours.",
            ),
            models.CheckConstraint(
                condition=~Q(status=AppointmentStatus.CANCELLED) | ~Q(cancel_reason=""),
                name="appointment_cancel_has_reason",
                violation_error_message="Say why the appointment is cancelled.",
            ),
        ]

    def __str__(self):
        start = timezone.localtime(self.start)
        return f"{start:%m/%d/%Y %H:%M} {self.patient.display_name} with {self.provider}"

    def get_absolute_url(self):
        return reverse("scheduling:appointment_detail", args=[self.pk])

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def duration_minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    @property
    def local_start(self) -> datetime.datetime:
        return timezone.localtime(self.start)

    @property
    def local_end(self) -> datetime.datetime:
        return timezone.localtime(self.end)


class DayList(TimeStampedModel):
    """A request for the printable day list of one date (the owner of its PDF Document)."""

    day = models.DateField()
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "view")
        ordering = ["-created_at"]

    def __str__(self):
        who = f" for {self.provider}" if self.provider_id else ""
        return f"Day list {self.day:%m/%d/%Y}{who}"
