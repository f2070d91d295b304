"""Billing: claims built from signed encounters, 837P batches, payments, adjustments,
self-pay invoices and patient statements.

Money is Decimal everywhere. Nothing here stores a balance: claim totals are sums of their
lines, a line's charge is computed by Postgres (unit price x units), and balances and aging
are computed from charges, allocations and adjustments (billing/selectors.py). Nothing is
ever deleted: claims are voided or replaced, payments stay on record.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q, Sum
from django.urls import reverse
from simple_history.models import HistoricalRecords

from charting.models import DiagnosisCode, Encounter, ProcedureLine, validate_modifier
from emr.models import Coverage, Document, Patient, Payer, Provider, TimeStampedModel
from emr.validators import validate_npi

ZERO = Decimal("0.00")
MONEY = {"max_digits": 10, "decimal_places": 2}
LETTERS = "ABCDEFGHIJKL"


def money_field(label: str | None = None, **kwargs) -> models.DecimalField:
    return models.DecimalField(label, **MONEY, **kwargs)


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    READY = "ready", "Ready"
    SUBMITTED = "submitted", "Submitted"
    ACCEPTED = "accepted", "Accepted"
    DENIED = "denied", "Denied"
    PAID = "paid", "Paid"
    VOID = "void", "Void"


class FrequencyCode(models.TextChoices):
    """CLM05-3: what this claim is to the payer."""

    ORIGINAL = "1", "Original"
    REPLACEMENT = "7", "Replacement of a prior claim"
    VOID = "8", "Void of a prior claim"


class ClaimFilingIndicator(models.TextChoices):
    """SBR09 and CMS-1500 box 1: the kind of insurance billed."""

    COMMERCIAL = "CI", "Commercial insurance"
    BLUE_CROSS = "BL", "Blue Cross / Blue Shield"
    HMO = "HM", "HMO"
    MEDICARE_B = "MB", "Medicare Part B"
    MEDICAID = "MC", "Medicaid"
    TRICARE = "CH", "TRICARE"
    VETERANS = "VA", "Veterans Affairs"
    OTHER = "ZZ", "Other / unknown"


class PlaceOfService(models.TextChoices):
    OFFICE = "11", "11 Office"
    HOME = "12", "12 Home"
    TELEHEALTH_HOME = "10", "10 Telehealth in the patient's home"
    TELEHEALTH = "02", "02 Telehealth (not in the patient's home)"
    URGENT_CARE = "20", "20 Urgent care facility"


class ClaimBatch(TimeStampedModel):
    """One 837P file: its claims were marked submitted when it was created."""

    interchange_control_number = models.PositiveIntegerField(unique=True)
    group_control_number = models.PositiveIntegerField(unique=True)
    generated_at = models.DateTimeField()
    receiver_name = models.CharField(max_length=60)
    receiver_id = models.CharField(max_length=15)
    usage_indicator = models.CharField(max_length=1, default="T")
    document = models.OneToOneField(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["-generated_at", "-pk"]
        verbose_name_plural = "claim batches"
        constraints = [
            models.CheckConstraint(
                condition=Q(interchange_control_number__gte=1)
                & Q(interchange_control_number__lte=999_999_999),
                name="claimbatch_isa13_nine_digits",
            ),
            models.CheckConstraint(
                condition=Q(usage_indicator__in=["T", "P"]), name="claimbatch_usage_t_or_p"
            ),
        ]

    def __str__(self):
        return f"837P batch {self.interchange_control_number:09d}"

    def get_absolute_url(self):
        return reverse("billing:batch_detail", args=[self.pk])


class Claim(TimeStampedModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="claims")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="claims")
    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, related_name="claims")
    # The payer billed, kept on the claim: a coverage can later be edited to another payer.
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="claims")
    rendering_provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="rendered_claims"
    )
    # The billing provider is the clinic (group NPI, EIN), read when the claim is printed or sent.
    referring_provider_name = models.CharField(
        "referring provider (box 17)", max_length=80, blank=True
    )
    referring_provider_npi = models.CharField(
        "referring provider NPI (17b)", max_length=10, blank=True, validators=[validate_npi]
    )
    status = models.CharField(
        max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.DRAFT, db_index=True
    )
    frequency_code = models.CharField(
        max_length=1, choices=FrequencyCode.choices, default=FrequencyCode.ORIGINAL
    )
    original_claim = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups"
    )
    # True once a replacement or a void claim has taken this claim's place.
    superseded = models.BooleanField(default=False)
    claim_filing_indicator = models.CharField(
        "insurance type",
        max_length=2,
        choices=ClaimFilingIndicator.choices,
        default=ClaimFilingIndicator.COMMERCIAL,
    )
    place_of_service = models.CharField(
        max_length=2, choices=PlaceOfService.choices, default=PlaceOfService.OFFICE
    )
    payer_claim_number = models.CharField(
        "payer's claim number",
        max_length=50,
        blank=True,
        help_text="The payer's own reference (ICN/DCN), needed to replace or void the claim.",
    )
    denial_reason = models.CharField(max_length=300, blank=True)
    denial_code = models.CharField("denial reason code (CARC)", max_length=5, blank=True)
    void_reason = models.CharField(max_length=300, blank=True)
    batch = models.ForeignKey(
        ClaimBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="claims"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="claim_status_created"),
            models.Index(fields=["payer", "status"], name="claim_payer_status"),
            models.Index(fields=["patient", "status"], name="claim_patient_status"),
        ]
        constraints = [
            # One live claim per visit: replacements and voids take the original's place.
            models.UniqueConstraint(
                fields=["encounter"],
                condition=Q(superseded=False)
                & Q(frequency_code__in=["1", "7"])
                & ~Q(status="void"),
                name="claim_one_live_per_encounter",
                violation_error_message="This visit already has a claim.",
            ),
            models.CheckConstraint(
                condition=Q(frequency_code="1", original_claim__isnull=True)
                | Q(frequency_code__in=["7", "8"], original_claim__isnull=False),
                name="claim_follow_up_has_original",
                violation_error_message="A replacement or void claim refers to the claim it replaces.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "ready"], submitted_at__isnull=True)
                | Q(
                    status__in=["submitted", "accepted", "denied", "paid"],
                    submitted_at__isnull=False,
                )
                | Q(status="void"),
                name="claim_submitted_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="denied") | ~Q(denial_reason=""),
                name="claim_denial_has_reason",
                violation_error_message="A denied claim records why it was denied.",
            ),
        ]

    def __str__(self):
        return f"Claim {self.number}"

    def get_absolute_url(self):
        return reverse("billing:claim_detail", args=[self.pk])

    @property
    def number(self) -> str:
        """The patient control number (CLM01, box 26): how the payer refers back to this claim."""
        return f"C{self.pk:07d}"

    @property
    def is_editable(self) -> bool:
        return self.status == ClaimStatus.DRAFT

    @property
    def is_live(self) -> bool:
        return (
            not self.superseded
            and self.frequency_code != FrequencyCode.VOID
            and self.status != ClaimStatus.VOID
        )

    @property
    def total_charge(self) -> Decimal:
        """Sum of the lines; selectors annotate `total` instead for lists."""
        if hasattr(self, "total"):
            return self.total or ZERO
        return self.lines.aggregate(total=Sum("charge"))["total"] or ZERO

    @property
    def original_reference(self) -> str:
        """REF*F8 of a replacement or void: the payer's number for the claim it follows up."""
        if self.original_claim_id is None:
            return ""
        original = self.original_claim
        return original.payer_claim_number or original.number


class ClaimDiagnosis(TimeStampedModel):
    """The claim's own copy of the visit's ranked diagnoses (box 21 A-L, the HI segment)."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="diagnoses")
    code = models.ForeignKey(DiagnosisCode, on_delete=models.PROTECT, related_name="+")
    rank = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["claim", "rank"]
        verbose_name_plural = "claim diagnoses"
        constraints = [
            models.UniqueConstraint(fields=["claim", "rank"], name="claimdiagnosis_unique_rank"),
            models.UniqueConstraint(fields=["claim", "code"], name="claimdiagnosis_unique_code"),
            models.CheckConstraint(
                condition=Q(rank__gte=1) & Q(rank__lte=12), name="claimdiagnosis_rank_1_to_12"
            ),
        ]

    def __str__(self):
        return f"{self.rank}. {self.code_id}"

    @property
    def letter(self) -> str:
        return LETTERS[self.rank - 1]


validate_carc = RegexValidator(
    r"^[A-Z0-9]{1,5}$", "A reason code (CARC) is 1 to 5 letters or digits, e.g. 45, 1, 2, B7."
)


class ClaimLine(TimeStampedModel):
    """One service line (box 24, loop 2400). Its charge is unit price x units, kept by Postgres."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="lines")
    procedure_line = models.ForeignKey(
        ProcedureLine, null=True, blank=True, on_delete=models.PROTECT, related_name="claim_lines"
    )
    line_number = models.PositiveSmallIntegerField()
    date_of_service = models.DateField()
    code_system = models.CharField(max_length=5, default="CPT")
    code = models.CharField(max_length=5)
    description = models.CharField(max_length=120, blank=True)
    modifiers = ArrayField(
        models.CharField(max_length=2, validators=[validate_modifier]),
        size=4,
        default=list,
        blank=True,
    )
    # Ranks of the claim's diagnoses (1 = A); the scrubber refuses pointers to nothing.
    diagnosis_pointers = ArrayField(models.PositiveSmallIntegerField(), size=4, default=list)
    units = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    unit_price = money_field("charge per unit")
    charge = models.GeneratedField(
        expression=F("unit_price") * F("units"),
        output_field=models.DecimalField(**MONEY),
        db_persist=True,
    )
    history = HistoricalRecords(excluded_fields=["charge"])

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["claim", "line_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "line_number"], name="claimline_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(units__gte=1) & Q(units__lte=99),
                name="claimline_units_1_to_99",
                violation_error_message="Units are between 1 and 99.",
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0),
                name="claimline_price_not_negative",
                violation_error_message="A charge cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(modifiers__len__lte=4),
                name="claimline_at_most_4_modifiers",
                violation_error_message="A line has at most 4 modifiers.",
            ),
            models.CheckConstraint(
                condition=Q(diagnosis_pointers__len__lte=4)
                & Q(diagnosis_pointers__contained_by=list(range(1, 13))),
                name="claimline_pointers_1_to_12",
                violation_error_message="A line points to at most 4 diagnoses, A to L.",
            ),
        ]

    def __str__(self):
        return f"{self.code} x{self.units}"

    @property
    def pointer_letters(self) -> str:
        return "".join(
            LETTERS[pointer - 1] for pointer in self.diagnosis_pointers if 1 <= pointer <= 12
        )


class PaymentSource(models.TextChoices):
    PAYER = "payer", "Insurance payer"
    PATIENT = "patient", "Patient"


class PaymentMethod(models.TextChoices):
    CHECK = "check", "Check"
    EFT = "eft", "EFT"
    CASH = "cash", "Cash"
    CARD = "card", "Card"


class Payment(TimeStampedModel):
    """Money received, from a payer (check or EFT, allocated to claim lines) or from a patient."""

    source = models.CharField(max_length=10, choices=PaymentSource.choices)
    payer = models.ForeignKey(
        Payer, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    method = models.CharField(max_length=10, choices=PaymentMethod.choices)
    reference = models.CharField(
        "check / EFT number", max_length=50, blank=True, help_text="As printed on the check or EOB."
    )
    amount = money_field()
    received_on = models.DateField()
    is_copay = models.BooleanField(default=False)
    encounter = models.ForeignKey(
        Encounter, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    note = models.CharField(max_length=200, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["-received_on", "-pk"]
        permissions = [
            ("view_patient_balance", "Can see a patient's balance"),
            ("take_copay", "Can take a patient payment or copay at the front desk"),
        ]
        indexes = [models.Index(fields=["patient", "received_on"], name="payment_patient_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="payment_amount_positive",
                violation_error_message="A payment amount must be more than zero.",
            ),
            models.CheckConstraint(
                condition=Q(
                    source="payer",
                    payer__isnull=False,
                    patient__isnull=True,
                    method__in=["check", "eft"],
                    is_copay=False,
                )
                & ~Q(reference="")
                | Q(source="patient", payer__isnull=True, patient__isnull=False),
                name="payment_source_consistent",
                violation_error_message="A payer payment is a check or EFT with its number; "
                "a patient payment names the patient.",
            ),
            # Double posting: one check or EFT of a payer is posted once.
            models.UniqueConstraint(
                fields=["payer", "reference"],
                condition=Q(source="payer"),
                name="payment_payer_reference_once",
                violation_error_message="This payer's check or EFT number has already been posted.",
            ),
            models.UniqueConstraint(
                fields=["patient", "reference"],
                condition=Q(source="patient", method="check"),
                name="payment_patient_check_once",
                violation_error_message="This patient's check has already been posted.",
            ),
        ]

    def __str__(self):
        who = self.payer if self.source == PaymentSource.PAYER else self.patient
        ref = f" #{self.reference}" if self.reference else ""
        return f"{self.get_method_display()}{ref} {who} ${self.amount}"

    def get_absolute_url(self):
        return reverse("billing:payment_detail", args=[self.pk])


class PaymentAllocation(TimeStampedModel):
    """The part of a payer payment applied to one claim line, as the EOB states it."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    claim_line = models.ForeignKey(ClaimLine, on_delete=models.PROTECT, related_name="allocations")
    allowed = money_field("allowed amount")
    paid = money_field("paid amount")
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["payment", "claim_line__line_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["payment", "claim_line"],
                name="allocation_once_per_line",
                violation_error_message="This payment is already applied to that line.",
            ),
            models.CheckConstraint(
                condition=Q(paid__gte=0) & Q(allowed__gte=0) & Q(paid__lte=F("allowed")),
                name="allocation_paid_within_allowed",
                violation_error_message="The paid amount cannot exceed the allowed amount.",
            ),
        ]

    def __str__(self):
        return f"${self.paid} to {self.claim_line}"


class AdjustmentGroup(models.TextChoices):
    CONTRACTUAL = "CO", "CO Contractual obligation"
    PATIENT = "PR", "PR Patient responsibility"
    OTHER = "OA", "OA Other adjustment"


class Adjustment(TimeStampedModel):
    """A CARC adjustment of a claim line. PR moves the amount to the patient's balance;
    CO and OA write it off."""

    claim_line = models.ForeignKey(ClaimLine, on_delete=models.PROTECT, related_name="adjustments")
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="adjustments"
    )
    group = models.CharField(max_length=2, choices=AdjustmentGroup.choices)
    reason_code = models.CharField("reason code (CARC)", max_length=5, validators=[validate_carc])
    amount = money_field()
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["claim_line", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="adjustment_amount_positive",
                violation_error_message="An adjustment amount must be more than zero.",
            ),
            models.CheckConstraint(
                condition=Q(reason_code__regex=r"^[A-Z0-9]{1,5}$"),
                name="adjustment_reason_code_format",
            ),
        ]

    def __str__(self):
        return f"{self.group}-{self.reason_code} ${self.amount}"

    @property
    def is_patient_responsibility(self) -> bool:
        return self.group == AdjustmentGroup.PATIENT


class InvoiceStatus(models.TextChoices):
    ISSUED = "issued", "Issued"
    VOID = "void", "Void"


class Invoice(TimeStampedModel):
    """A self-pay visit billed to the patient instead of a payer."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="invoices")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="invoices")
    status = models.CharField(
        max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.ISSUED
    )
    issued_on = models.DateField()
    void_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["-issued_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["encounter"],
                condition=Q(status="issued"),
                name="invoice_one_live_per_encounter",
                violation_error_message="This visit already has an invoice.",
            ),
        ]

    def __str__(self):
        return f"Invoice {self.number}"

    def get_absolute_url(self):
        return reverse("billing:invoice_detail", args=[self.pk])

    @property
    def number(self) -> str:
        return f"I{self.pk:07d}"

    @property
    def total_charge(self) -> Decimal:
        if hasattr(self, "total"):
            return self.total or ZERO
        return self.lines.aggregate(total=Sum("charge"))["total"] or ZERO


class InvoiceLine(TimeStampedModel):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    procedure_line = models.ForeignKey(
        ProcedureLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    line_number = models.PositiveSmallIntegerField()
    date_of_service = models.DateField()
    code = models.CharField(max_length=5)
    description = models.CharField(max_length=120, blank=True)
    units = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    unit_price = money_field("charge per unit")
    charge = models.GeneratedField(
        expression=F("unit_price") * F("units"),
        output_field=models.DecimalField(**MONEY),
        db_persist=True,
    )
    history = HistoricalRecords(excluded_fields=["charge"])

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["invoice", "line_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "line_number"], name="invoiceline_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0) & Q(units__gte=1) & Q(units__lte=99),
                name="invoiceline_price_and_units",
            ),
        ]

    def __str__(self):
        return f"{self.code} x{self.units}"


class StatementBatch(TimeStampedModel):
    """Month-end statements of one period: running it again adds only what is missing."""

    period_end = models.DateField(unique=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # How many patients had a balance when the batch was last run: the progress bar's 100%.
    expected = models.PositiveIntegerField(default=0)
    last_run_at = models.DateTimeField(null=True, blank=True)
    merged_document = models.OneToOneField(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["-period_end"]
        verbose_name_plural = "statement batches"

    def __str__(self):
        return f"Statements for {self.period_end:%B %Y}"

    def get_absolute_url(self):
        return reverse("billing:statement_batch", args=[self.pk])


class Statement(TimeStampedModel):
    """One patient's statement of one period: unique, so that re-running a batch never
    duplicates it. `amount_due` is what the printed statement says (a record of what was
    sent, checked against the ledger when the statement is rendered)."""

    batch = models.ForeignKey(StatementBatch, on_delete=models.PROTECT, related_name="statements")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="statements")
    period_end = models.DateField()
    amount_due = money_field()
    document = models.OneToOneField(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        default_permissions = ("add", "change", "view")
        ordering = ["-period_end", "patient"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "period_end"],
                name="statement_once_per_patient_period",
                violation_error_message="This patient already has a statement for that period.",
            ),
            models.CheckConstraint(condition=Q(amount_due__gt=0), name="statement_amount_due"),
        ]

    def __str__(self):
        return f"Statement {self.period_end:%m/%Y} {self.patient.display_name}"
