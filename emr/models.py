from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from emr.validators import validate_ein, validate_npi, validate_phone, validate_postal_code


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Role(models.TextChoices):
    """The staff roles; each is a Django group of the same name (see migration 0002)."""

    FRONT_DESK = "front_desk", "Front desk"
    CLINICIAN = "clinician", "Clinician"
    BILLING = "billing", "Billing"
    CLINIC_ADMIN = "clinic_admin", "Clinic admin"


class User(AbstractUser):
    history = HistoricalRecords()

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self):
        return self.get_full_name() or self.username

    @property
    def role_names(self) -> set[str]:
        if not hasattr(self, "_role_names"):
            self._role_names = set(self.groups.values_list("name", flat=True))
        return self._role_names

    @property
    def role_label(self) -> str:
        return Role(self.primary_role).label if self.primary_role else ""

    def has_role(self, role: str) -> bool:
        return role in self.role_names

    @property
    def primary_role(self) -> str | None:
        for role in (Role.CLINIC_ADMIN, Role.CLINICIAN, Role.BILLING, Role.FRONT_DESK):
            if role in self.role_names:
                return role
        return None


class UsState(models.TextChoices):
    AL = "AL", "Alabama"
    AK = "AK", "Alaska"
    AZ = "AZ", "Arizona"
    AR = "AR", "Arkansas"
    CA = "CA", "California"
    CO = "CO", "Colorado"
    CT = "CT", "Connecticut"
    DE = "DE", "Delaware"
    DC = "DC", "District of Columbia"
    FL = "FL", "Florida"
    GA = "GA", "Georgia"
    HI = "HI", "Hawaii"
    ID = "ID", "Idaho"
    IL = "IL", "Illinois"
    IN = "IN", "Indiana"
    IA = "IA", "Iowa"
    KS = "KS", "Kansas"
    KY = "KY", "Kentucky"
    LA = "LA", "Louisiana"
    ME = "ME", "Maine"
    MD = "MD", "Maryland"
    MA = "MA", "Massachusetts"
    MI = "MI", "Michigan"
    MN = "MN", "Minnesota"
    MS = "MS", "Mississippi"
    MO = "MO", "Missouri"
    MT = "MT", "Montana"
    NE = "NE", "Nebraska"
    NV = "NV", "Nevada"
    NH = "NH", "New Hampshire"
    NJ = "NJ", "New Jersey"
    NM = "NM", "New Mexico"
    NY = "NY", "New York"
    NC = "NC", "North Carolina"
    ND = "ND", "North Dakota"
    OH = "OH", "Ohio"
    OK = "OK", "Oklahoma"
    OR = "OR", "Oregon"
    PA = "PA", "Pennsylvania"
    PR = "PR", "Puerto Rico"
    RI = "RI", "Rhode Island"
    SC = "SC", "South Carolina"
    SD = "SD", "South Dakota"
    TN = "TN", "Tennessee"
    TX = "TX", "Texas"
    UT = "UT", "Utah"
    VT = "VT", "Vermont"
    VA = "VA", "Virginia"
    WA = "WA", "Washington"
    WV = "WV", "West Virginia"
    WI = "WI", "Wisconsin"
    WY = "WY", "Wyoming"


class Address(models.Model):
    address_line1 = models.CharField("address", max_length=100, blank=True)
    address_line2 = models.CharField("address line 2", max_length=100, blank=True)
    city = models.CharField(max_length=60, blank=True)
    state = models.CharField(max_length=2, choices=UsState.choices, blank=True)
    postal_code = models.CharField(
        "ZIP code", max_length=10, blank=True, validators=[validate_postal_code]
    )

    class Meta:
        abstract = True

    @property
    def address_lines(self) -> list[str]:
        city_line = " ".join(
            part
            for part in [f"{self.city}," if self.city else "", self.state, self.postal_code]
            if part
        )
        return [line for line in [self.address_line1, self.address_line2, city_line] if line]


class Clinic(Address, TimeStampedModel):
    """The practice itself: one row, edited by the clinic admin."""

    name = models.CharField(max_length=120)
    phone = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    timezone = models.CharField(max_length=60, default=settings.TIME_ZONE)
    tax_id = models.CharField("tax ID (EIN)", max_length=10, blank=True, validators=[validate_ein])
    group_npi = models.CharField("group NPI", max_length=10, blank=True, validators=[validate_npi])
    taxonomy = models.CharField("taxonomy code", max_length=10, blank=True)
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["pk"]

    def __str__(self):
        return self.name

    @classmethod
    def current(cls) -> Clinic | None:
        return cls.objects.order_by("pk").first()


class Provider(TimeStampedModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="provider"
    )
    npi = models.CharField("NPI", max_length=10, unique=True, validators=[validate_npi])
    credentials = models.CharField(max_length=30, blank=True, help_text="e.g. MD, DO, NP, PA-C")
    taxonomy = models.CharField("taxonomy code", max_length=10, blank=True)
    color = models.CharField(max_length=7, default="#0d6efd")
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["user__last_name", "user__first_name"]

    def __str__(self):
        name = self.user.get_full_name() or self.user.username
        return f"{name}, {self.credentials}" if self.credentials else name


class SexAtBirth(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    UNKNOWN = "U", "Unknown"


class Patient(Address, TimeStampedModel):
    mrn = models.CharField("MRN", max_length=12, unique=True, editable=False)
    first_name = models.CharField(max_length=60)
    middle_name = models.CharField(max_length=60, blank=True)
    last_name = models.CharField(max_length=60)
    preferred_name = models.CharField(max_length=60, blank=True)
    date_of_birth = models.DateField()
    sex_at_birth = models.CharField(max_length=1, choices=SexAtBirth.choices)
    gender_identity = models.CharField(max_length=60, blank=True)
    phone_mobile = models.CharField(
        "mobile phone", max_length=20, blank=True, validators=[validate_phone]
    )
    phone_home = models.CharField(
        "home phone", max_length=20, blank=True, validators=[validate_phone]
    )
    email = models.EmailField(blank=True)
    preferred_language = models.CharField(max_length=40, default="English", blank=True)
    emergency_contact_name = models.CharField(max_length=120, blank=True)
    emergency_contact_relationship = models.CharField(max_length=40, blank=True)
    emergency_contact_phone = models.CharField(
        max_length=20, blank=True, validators=[validate_phone]
    )
    active = models.BooleanField(default=True)
    deactivation_reason = models.CharField(max_length=200, blank=True)
    deceased_date = models.DateField(null=True, blank=True)
    # Digits only, kept by Postgres itself so that a search by phone can use an index.
    phone_mobile_digits = models.GeneratedField(
        expression=Func(
            F("phone_mobile"), Value(r"\D"), Value(""), Value("g"), function="regexp_replace"
        ),
        output_field=models.CharField(max_length=20),
        db_persist=True,
    )
    phone_home_digits = models.GeneratedField(
        expression=Func(
            F("phone_home"), Value(r"\D"), Value(""), Value("g"), function="regexp_replace"
        ),
        output_field=models.CharField(max_length=20),
        db_persist=True,
    )
    history = HistoricalRecords(excluded_fields=["phone_mobile_digits", "phone_home_digits"])

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["last_name", "first_name", "date_of_birth"]
        permissions = [
            ("deactivate_patient", "Can deactivate or reactivate a patient"),
            ("view_patient_history", "Can view the change history of a patient"),
        ]
        indexes = [
            models.Index(
                OpClass(Lower("last_name"), name="varchar_pattern_ops"),
                name="patient_last_name_prefix",
            ),
            models.Index(
                OpClass(Lower("first_name"), name="varchar_pattern_ops"),
                name="patient_first_name_prefix",
            ),
            models.Index(
                OpClass(Lower("preferred_name"), name="varchar_pattern_ops"),
                name="patient_preferred_name_prefix",
            ),
            models.Index(fields=["date_of_birth"], name="patient_dob"),
            models.Index(
                OpClass(F("phone_mobile_digits"), name="varchar_pattern_ops"),
                name="patient_mobile_digits",
            ),
            models.Index(
                OpClass(F("phone_home_digits"), name="varchar_pattern_ops"),
                name="patient_home_digits",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(deceased_date__isnull=True) | Q(deceased_date__gte=F("date_of_birth")),
                name="patient_deceased_after_birth",
            ),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.mrn})"

    def get_absolute_url(self):
        return reverse("patients:detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return " ".join(
            part for part in [self.first_name, self.middle_name, self.last_name] if part
        )

    @property
    def display_name(self) -> str:
        """Last, First "Preferred" as lists and the chart header show it."""
        name = f"{self.last_name}, {self.first_name}"
        if self.preferred_name and self.preferred_name != self.first_name:
            name += f' "{self.preferred_name}"'
        return name

    def age_on(self, day: datetime.date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def age(self) -> int:
        return self.age_on(self.deceased_date or timezone.localdate())

    @property
    def phone(self) -> str:
        return self.phone_mobile or self.phone_home


class Payer(Address, TimeStampedModel):
    name = models.CharField(max_length=120)
    payer_id = models.CharField(
        "payer ID", max_length=20, unique=True, help_text="Electronic payer ID used on 837P claims."
    )
    phone = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["name"]

    def __str__(self):
        return self.name


class CoveragePriority(models.TextChoices):
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"
    TERTIARY = "tertiary", "Tertiary"


class SubscriberRelationship(models.TextChoices):
    """Patient's relationship to the subscriber, with the X12 individual relationship codes."""

    SELF = "18", "Self"
    SPOUSE = "01", "Spouse"
    CHILD = "19", "Child"
    OTHER = "G8", "Other"


class Coverage(TimeStampedModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="coverages")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="coverages")
    member_id = models.CharField("member ID", max_length=40)
    group_number = models.CharField(max_length=40, blank=True)
    priority = models.CharField(
        max_length=10, choices=CoveragePriority.choices, default=CoveragePriority.PRIMARY
    )
    relationship = models.CharField(
        "patient's relationship to subscriber",
        max_length=2,
        choices=SubscriberRelationship.choices,
        default=SubscriberRelationship.SELF,
    )
    subscriber_first_name = models.CharField(max_length=60, blank=True)
    subscriber_last_name = models.CharField(max_length=60, blank=True)
    subscriber_date_of_birth = models.DateField(null=True, blank=True)
    subscriber_sex = models.CharField(max_length=1, choices=SexAtBirth.choices, blank=True)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["patient", "priority", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "priority"],
                condition=Q(active=True),
                name="coverage_one_active_per_priority",
                violation_error_message="This patient already has an active coverage with that priority.",
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="coverage_dates_in_order",
                violation_error_message="Coverage cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(relationship="18")
                | (
                    ~Q(subscriber_first_name="")
                    & ~Q(subscriber_last_name="")
                    & Q(subscriber_date_of_birth__isnull=False)
                ),
                name="coverage_subscriber_named_unless_self",
                violation_error_message="When the patient is not the subscriber, enter the subscriber's name and date of birth.",
            ),
        ]

    def __str__(self):
        return f"{self.payer} {self.member_id} ({self.get_priority_display()})"

    @property
    def patient_is_subscriber(self) -> bool:
        return self.relationship == SubscriberRelationship.SELF

    def is_effective_on(self, day: datetime.date) -> bool:
        return (
            self.active
            and self.effective_from <= day
            and (self.effective_to is None or day <= self.effective_to)
        )

    @property
    def is_current(self) -> bool:
        return self.is_effective_on(timezone.localdate())


class AccessAction(models.TextChoices):
    VIEW = "view", "Viewed"
    PRINT = "print", "Printed"
    EXPORT = "export", "Exported"
    DOWNLOAD = "download", "Downloaded"
    LOGIN = "login", "Logged in"
    LOGOUT = "logout", "Logged out"
    LOGIN_FAILED = "login_failed", "Failed login"


class AccessLog(models.Model):
    """Append-only record of who looked at what. Postgres refuses UPDATE and DELETE on it."""

    timestamp = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="access_logs",
    )
    username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=20, choices=AccessAction.choices)
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="access_logs"
    )
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    description = models.CharField(max_length=200, blank=True)
    path = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        default_permissions = ("view",)
        ordering = ["-timestamp", "-pk"]
        indexes = [
            models.Index(fields=["patient", "-timestamp"], name="accesslog_patient_time"),
            models.Index(fields=["user", "-timestamp"], name="accesslog_user_time"),
        ]

    def __str__(self):
        return f"{self.timestamp:%Y-%m-%d %H:%M} {self.username} {self.action}"


class DocumentKind(models.TextChoices):
    FACE_SHEET = "face_sheet", "Patient face sheet"
    INVOICE = "invoice", "Invoice"
    STATEMENT = "statement", "Patient statement"
    CMS1500 = "cms1500", "CMS-1500 claim"
    VISIT_SUMMARY = "visit_summary", "Visit summary"
    DAY_LIST = "day_list", "Day list"
    X12_837P = "x12_837p", "837P claim file"


class DocumentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


def document_upload_to(document: Document, filename: str) -> str:
    today = timezone.localdate()
    return f"documents/{today:%Y/%m}/{document.kind}/{filename}"


class Document(TimeStampedModel):
    """A generated file (PDF, 837P): requested by a view, produced by a Celery task."""

    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    status = models.CharField(
        max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.PENDING
    )
    owner_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    owner_id = models.PositiveBigIntegerField()
    owner = GenericForeignKey("owner_type", "owner_id")
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to=document_upload_to, blank=True)
    content_type = models.CharField(max_length=60, default="application/pdf")
    checksum = models.CharField("SHA-256", max_length=64, blank=True)
    size = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner_type", "owner_id", "kind"], name="document_owner")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("documents:detail", args=[self.pk])

    @property
    def filename(self) -> str:
        return self.file.name.rsplit("/", 1)[-1] if self.file else ""
