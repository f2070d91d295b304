"""Charting: encounters, vitals, SOAP notes, coding (ICD-10-CM, fee schedule), signing, and the
patient-level longitudinal chart (allergies, problems, medications).

Once an encounter is signed, Postgres itself refuses any change to it and to its note, vitals,
diagnoses and procedure lines (triggers of migration 0002); addenda are insert-only.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Func, Q, Value
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from emr.models import Patient, Provider, TimeStampedModel

# The database raises this (in an IntegrityError) when something tries to change a signed chart.
SIGNED_MARKER = "charting_signed_encounter_locked"

MAX_DIAGNOSES = 12  # the CMS-1500 / 837P diagnosis pointers A..L
MAX_MODIFIERS = 4
MAX_POINTERS = 4


# --- ICD-10-CM -------------------------------------------------------------------------------


class DiagnosisCode(models.Model):
    """One ICD-10-CM code (category or subcategory) of the CDC release, loaded by `load_icd10cm`.

    Billable codes are the leaves; only those may be put on an encounter or a problem.
    """

    code = models.CharField(max_length=8, primary_key=True, help_text="With the dot, e.g. E11.9")
    description = models.CharField(max_length=300)
    billable = models.BooleanField(default=False)
    # Kept by Postgres: the code without its dot (as 837P files carry it, and as people type it),
    # and the words of the description for full-text search. Both are index-backed.
    code_compact = models.GeneratedField(
        expression=Func(F("code"), Value("."), Value(""), function="replace"),
        output_field=models.CharField(max_length=8),
        db_persist=True,
    )
    search_vector = models.GeneratedField(
        expression=SearchVector("description", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        default_permissions = ("view",)
        ordering = ["code"]
        verbose_name = "ICD-10-CM code"
        indexes = [
            models.Index(
                OpClass(F("code_compact"), name="varchar_pattern_ops"),
                name="diagnosiscode_compact_prefix",
            ),
            GinIndex(fields=["search_vector"], name="diagnosiscode_search"),
        ]

    def __str__(self):
        return f"{self.code} {self.description}"


# --- Fee schedule ---------------------------------------------------------------------------


class CodeSystem(models.TextChoices):
    CPT = "CPT", "CPT"
    HCPCS = "HCPCS", "HCPCS"


CPT_CODE = r"^[0-9]{4}[0-9FTU]$"
HCPCS_CODE = r"^[A-V][0-9]{4}$"


class FeeScheduleEntry(TimeStampedModel):
    """A billable service of the clinic's own fee schedule (lives here: procedure lines need it;
    billing reads it). Descriptions are the clinic's own words, not licensed CPT text."""

    code_system = models.CharField(max_length=5, choices=CodeSystem.choices, default=CodeSystem.CPT)
    code = models.CharField(max_length=5)
    description = models.CharField(max_length=120)
    price = models.DecimalField(max_digits=9, decimal_places=2)
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["code_system", "code"]
        verbose_name = "fee schedule entry"
        verbose_name_plural = "fee schedule"
        constraints = [
            models.UniqueConstraint(
                fields=["code_system", "code"],
                name="feeschedule_unique_code",
                violation_error_message="This code is already on the fee schedule.",
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0),
                name="feeschedule_price_not_negative",
                violation_error_message="A price cannot be negative.",
            ),
            models.CheckConstraint(
                condition=(Q(code_system="CPT") & Q(code__regex=CPT_CODE))
                | (Q(code_system="HCPCS") & Q(code__regex=HCPCS_CODE)),
                name="feeschedule_code_format",
                violation_error_message="A CPT code is five characters (e.g. 99213, 0001F); "
                "a HCPCS code is a letter and four digits (e.g. G0439).",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.description}"


# --- Encounters -----------------------------------------------------------------------------


class EncounterStatus(models.TextChoices):
    OPEN = "open", "Open"
    SIGNED = "signed", "Signed"


class Encounter(TimeStampedModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="encounters")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="encounters")
    appointment = models.OneToOneField(
        "scheduling.Appointment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="encounter",
    )
    date_of_service = models.DateField()
    status = models.CharField(
        max_length=10, choices=EncounterStatus.choices, default=EncounterStatus.OPEN
    )
    chief_complaint = models.CharField(max_length=200, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["-date_of_service", "-pk"]
        permissions = [("sign_encounter", "Can sign an encounter (own encounters only)")]
        indexes = [
            models.Index(
                fields=["patient", "-date_of_service", "-id"], name="encounter_patient_dos"
            ),
            models.Index(fields=["provider", "status"], name="encounter_provider_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", signed_at__isnull=True, signed_by__isnull=True)
                | Q(status="signed", signed_at__isnull=False, signed_by__isnull=False),
                name="encounter_signed_has_signer",
                violation_error_message="A signed encounter records who signed it and when.",
            ),
        ]

    def __str__(self):
        return f"{self.date_of_service:%m/%d/%Y} {self.patient.display_name} with {self.provider}"

    def get_absolute_url(self):
        return reverse("charting:encounter_detail", args=[self.pk])

    @property
    def is_signed(self) -> bool:
        return self.status == EncounterStatus.SIGNED


class TemperatureUnit(models.TextChoices):
    FAHRENHEIT = "F", "°F"
    CELSIUS = "C", "°C"


def _range_check(field: str, low, high, message: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__range": (low, high)}),
        name=f"vitals_{field}_possible",
        violation_error_message=message,
    )


# Physiologically possible ranges (a reading outside is a typing error, refused) ...
POSSIBLE = {
    "systolic_bp": (50, 300),
    "diastolic_bp": (20, 200),
    "pulse": (20, 300),
    "respiratory_rate": (4, 80),
    "temperature_c": (Decimal("25.0"), Decimal("45.0")),
    "spo2": (50, 100),
    "height_cm": (Decimal("30.0"), Decimal("272.0")),
    "weight_kg": (Decimal("0.5"), Decimal("450.0")),
    "pain_score": (0, 10),
}
# ... and the adult normal ranges (a reading outside is flagged in the chart, not refused).
NORMAL = {
    "systolic_bp": (90, 129),
    "diastolic_bp": (60, 79),
    "pulse": (60, 100),
    "respiratory_rate": (12, 20),
    "temperature_c": (Decimal("36.1"), Decimal("37.9")),
    "spo2": (95, 100),
    "bmi": (Decimal("18.5"), Decimal("24.9")),
    "pain_score": (0, 3),
}


class Vitals(TimeStampedModel):
    """One set of vital signs; stored in metric units (the form takes °F, lb and in too)."""

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="vitals")
    taken_at = models.DateTimeField(default=timezone.now)
    systolic_bp = models.PositiveSmallIntegerField("systolic BP (mmHg)", null=True, blank=True)
    diastolic_bp = models.PositiveSmallIntegerField("diastolic BP (mmHg)", null=True, blank=True)
    pulse = models.PositiveSmallIntegerField("pulse (/min)", null=True, blank=True)
    respiratory_rate = models.PositiveSmallIntegerField(
        "respiratory rate (/min)", null=True, blank=True
    )
    temperature_c = models.DecimalField(
        "temperature (°C)", max_digits=4, decimal_places=1, null=True, blank=True
    )
    spo2 = models.PositiveSmallIntegerField("SpO2 (%)", null=True, blank=True)
    height_cm = models.DecimalField(
        "height (cm)", max_digits=4, decimal_places=1, null=True, blank=True
    )
    weight_kg = models.DecimalField(
        "weight (kg)", max_digits=5, decimal_places=2, null=True, blank=True
    )
    pain_score = models.PositiveSmallIntegerField("pain (0-10)", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["taken_at", "pk"]
        verbose_name_plural = "vitals"
        constraints = [
            _range_check("systolic_bp", *POSSIBLE["systolic_bp"], "Systolic BP is out of range."),
            _range_check(
                "diastolic_bp", *POSSIBLE["diastolic_bp"], "Diastolic BP is out of range."
            ),
            _range_check("pulse", *POSSIBLE["pulse"], "Pulse is out of range."),
            _range_check(
                "respiratory_rate",
                *POSSIBLE["respiratory_rate"],
                "Respiratory rate is out of range.",
            ),
            _range_check(
                "temperature_c", *POSSIBLE["temperature_c"], "Temperature is out of range."
            ),
            _range_check("spo2", *POSSIBLE["spo2"], "SpO2 is out of range."),
            _range_check("height_cm", *POSSIBLE["height_cm"], "Height is out of range."),
            _range_check("weight_kg", *POSSIBLE["weight_kg"], "Weight is out of range."),
            _range_check("pain_score", *POSSIBLE["pain_score"], "Pain is scored 0 to 10."),
            models.CheckConstraint(
                condition=Q(systolic_bp__isnull=True, diastolic_bp__isnull=True)
                | Q(
                    systolic_bp__isnull=False,
                    diastolic_bp__isnull=False,
                    systolic_bp__gt=F("diastolic_bp"),
                ),
                name="vitals_bp_pair",
                violation_error_message="Blood pressure needs both numbers, systolic above diastolic.",
            ),
        ]

    def __str__(self):
        return f"Vitals {timezone.localtime(self.taken_at):%m/%d/%Y %H:%M}"

    @property
    def bmi(self) -> Decimal | None:
        if not self.height_cm or not self.weight_kg:
            return None
        meters = Decimal(self.height_cm) / 100
        return (Decimal(self.weight_kg) / (meters * meters)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )

    @property
    def temperature_f(self) -> Decimal | None:
        if self.temperature_c is None:
            return None
        return (self.temperature_c * 9 / 5 + 32).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def weight_lb(self) -> Decimal | None:
        if self.weight_kg is None:
            return None
        return (self.weight_kg / Decimal("0.45359237")).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )

    @property
    def height_in(self) -> Decimal | None:
        if self.height_cm is None:
            return None
        return (self.height_cm / Decimal("2.54")).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def blood_pressure(self) -> str:
        if self.systolic_bp is None:
            return ""
        return f"{self.systolic_bp}/{self.diastolic_bp}"

    def flag(self, name: str) -> str:
        """'high', 'low' or '' for a reading against the adult normal range."""
        value = self.bmi if name == "bmi" else getattr(self, name)
        if value is None or name not in NORMAL:
            return ""
        low, high = NORMAL[name]
        if value < low:
            return "low"
        if value > high:
            return "high"
        return ""

    @property
    def flags(self) -> dict[str, str]:
        return {name: self.flag(name) for name in NORMAL}

    @property
    def bp_flag(self) -> str:
        return self.flag("systolic_bp") or self.flag("diastolic_bp")


# --- Notes ------------------------------------------------------------------------------------


class NoteTemplate(TimeStampedModel):
    """The clinic's own note templates: choosing one fills the note's four sections."""

    name = models.CharField(max_length=80, unique=True)
    subjective = models.TextField(blank=True)
    objective = models.TextField(blank=True)
    assessment = models.TextField(blank=True)
    plan = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ClinicalNote(TimeStampedModel):
    """The SOAP note of one encounter; saved as the clinician types (autosave)."""

    encounter = models.OneToOneField(Encounter, on_delete=models.PROTECT, related_name="note")
    subjective = models.TextField(blank=True)
    objective = models.TextField(blank=True)
    assessment = models.TextField(blank=True)
    plan = models.TextField(blank=True)
    template = models.ForeignKey(
        NoteTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["encounter"]

    def __str__(self):
        return f"Note for encounter {self.encounter_id}"

    @property
    def is_empty(self) -> bool:
        return not any([self.subjective, self.objective, self.assessment, self.plan])


class Addendum(TimeStampedModel):
    """A correction or addition to a signed note: signed by its author when written, never edited."""

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    signed_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "view")
        ordering = ["signed_at", "pk"]
        verbose_name_plural = "addenda"
        constraints = [
            models.CheckConstraint(
                condition=~Q(text=""),
                name="addendum_has_text",
                violation_error_message="An addendum needs text.",
            ),
        ]

    def __str__(self):
        return f"Addendum {timezone.localtime(self.signed_at):%m/%d/%Y %H:%M}"


# --- Coding -----------------------------------------------------------------------------------


class EncounterDiagnosis(TimeStampedModel):
    """A coded diagnosis of an encounter; its rank is the claim's diagnosis pointer (1 = A)."""

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="diagnoses")
    code = models.ForeignKey(DiagnosisCode, on_delete=models.PROTECT, related_name="+")
    rank = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DIAGNOSES)]
    )
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["encounter", "rank"]
        verbose_name_plural = "encounter diagnoses"
        constraints = [
            # Deferred, so that reranking can swap two ranks inside one transaction.
            models.UniqueConstraint(
                fields=["encounter", "rank"],
                name="encounterdiagnosis_unique_rank",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.UniqueConstraint(
                fields=["encounter", "code"],
                name="encounterdiagnosis_unique_code",
                violation_error_message="This diagnosis is already on the encounter.",
            ),
            models.CheckConstraint(
                condition=Q(rank__gte=1) & Q(rank__lte=MAX_DIAGNOSES),
                name="encounterdiagnosis_rank_1_to_12",
                violation_error_message="An encounter has at most 12 diagnoses.",
            ),
        ]

    def __str__(self):
        return f"{self.rank}. {self.code_id}"

    @property
    def pointer_letter(self) -> str:
        return "ABCDEFGHIJKL"[self.rank - 1]


validate_modifier = RegexValidator(
    r"^[0-9A-Z]{2}$", "A modifier is two letters or digits, e.g. 25 or LT."
)


class ProcedureLine(TimeStampedModel):
    """A service performed at the encounter, from the fee schedule, pointing at its diagnoses."""

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="procedures")
    fee_schedule_entry = models.ForeignKey(
        FeeScheduleEntry, on_delete=models.PROTECT, related_name="procedure_lines"
    )
    units = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    modifiers = ArrayField(
        models.CharField(max_length=2, validators=[validate_modifier]),
        size=MAX_MODIFIERS,
        default=list,
        blank=True,
    )
    # Ranks of the encounter's diagnoses (1..12), most relevant first.
    diagnosis_pointers = ArrayField(
        models.PositiveSmallIntegerField(), size=MAX_POINTERS, default=list
    )
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["encounter", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(units__gte=1) & Q(units__lte=99),
                name="procedureline_units_1_to_99",
                violation_error_message="Units are between 1 and 99.",
            ),
            models.CheckConstraint(
                condition=Q(modifiers__len__lte=MAX_MODIFIERS),
                name="procedureline_at_most_4_modifiers",
                violation_error_message="A procedure has at most 4 modifiers.",
            ),
            models.CheckConstraint(
                condition=Q(diagnosis_pointers__len__gte=1)
                & Q(diagnosis_pointers__len__lte=MAX_POINTERS)
                & Q(diagnosis_pointers__contained_by=list(range(1, MAX_DIAGNOSES + 1))),
                name="procedureline_1_to_4_pointers",
                violation_error_message="A procedure points to 1 to 4 of the encounter's diagnoses.",
            ),
        ]

    def __str__(self):
        return f"{self.fee_schedule_entry.code} x{self.units}"

    @property
    def pointer_letters(self) -> str:
        return "".join("ABCDEFGHIJKL"[rank - 1] for rank in self.diagnosis_pointers)


# --- Longitudinal chart -----------------------------------------------------------------------


class AllergySeverity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"
    UNKNOWN = "unknown", "Unknown"


class ChartItemStatus(models.TextChoices):
    """Allergies, problems and medications are never deleted: they end or were recorded in error."""

    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive / resolved"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


class Allergy(TimeStampedModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="allergies")
    substance = models.CharField(max_length=120, help_text="e.g. penicillin, peanuts, latex")
    reaction = models.CharField(max_length=200, blank=True, help_text="e.g. hives, anaphylaxis")
    severity = models.CharField(
        max_length=10, choices=AllergySeverity.choices, default=AllergySeverity.UNKNOWN
    )
    status = models.CharField(
        max_length=20, choices=ChartItemStatus.choices, default=ChartItemStatus.ACTIVE
    )
    onset_date = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["patient", "substance"]
        verbose_name_plural = "allergies"
        indexes = [models.Index(fields=["patient", "status"], name="allergy_patient_status")]

    def __str__(self):
        return self.substance


class Problem(TimeStampedModel):
    """An entry of the problem list, coded with a billable ICD-10-CM code."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="problems")
    code = models.ForeignKey(DiagnosisCode, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=20, choices=ChartItemStatus.choices, default=ChartItemStatus.ACTIVE
    )
    onset_date = models.DateField(null=True, blank=True)
    resolved_date = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["patient", "code"]
        indexes = [models.Index(fields=["patient", "status"], name="problem_patient_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_date__isnull=True)
                | Q(onset_date__isnull=True)
                | Q(resolved_date__gte=F("onset_date")),
                name="problem_resolved_after_onset",
                violation_error_message="A problem cannot resolve before its onset.",
            ),
        ]

    def __str__(self):
        return str(self.code)


class Medication(TimeStampedModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medications")
    name = models.CharField(
        max_length=120, help_text="Drug, strength and form, e.g. lisinopril 10 mg tablet"
    )
    instructions = models.CharField(
        max_length=200, blank=True, help_text="e.g. 1 tablet by mouth daily"
    )
    status = models.CharField(
        max_length=20, choices=ChartItemStatus.choices, default=ChartItemStatus.ACTIVE
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["patient", "name"]
        indexes = [models.Index(fields=["patient", "status"], name="medication_patient_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="medication_ends_after_start",
                violation_error_message="A medication cannot end before it starts.",
            ),
        ]

    def __str__(self):
        return self.name
