"""Claims: built from a signed visit, scrubbed, made ready, accepted or denied, replaced or
voided. A self-pay visit becomes a patient invoice instead."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from billing.models import (
    LETTERS,
    Claim,
    ClaimDiagnosis,
    ClaimFilingIndicator,
    ClaimLine,
    ClaimStatus,
    FrequencyCode,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
)
from billing.services.scrub import claim_scrub
from charting.models import Encounter, ProcedureLine
from emr.models import Coverage, CoveragePriority, User
from emr.validators import validate_npi


def _lock_claim(claim: Claim) -> Claim:
    return Claim.objects.select_for_update(of=("self",)).select_related("patient").get(pk=claim.pk)


def _save(obj, by: User | None, **kwargs) -> None:
    obj._history_user = by
    obj.save(**kwargs)


def default_filing_indicator(payer) -> str:
    """A first guess of the insurance type from the payer's name; the biller can change it."""
    name = payer.name.lower()
    if "medicare" in name:
        return ClaimFilingIndicator.MEDICARE_B
    if "medicaid" in name:
        return ClaimFilingIndicator.MEDICAID
    if "blue cross" in name or "blue shield" in name:
        return ClaimFilingIndicator.BLUE_CROSS
    if "tricare" in name:
        return ClaimFilingIndicator.TRICARE
    return ClaimFilingIndicator.COMMERCIAL


def coverage_for_visit(encounter: Encounter) -> Coverage | None:
    """The coverage to bill: the primary in effect on the date of service; else the active
    primary (the scrubber will say it was not in effect); else none, and the visit is self-pay."""
    coverages = list(
        Coverage.objects.filter(patient_id=encounter.patient_id)
        .select_related("payer")
        .order_by("-active", "-effective_from", "-pk")
    )
    day = encounter.date_of_service
    for priority in (CoveragePriority.PRIMARY, CoveragePriority.SECONDARY):
        for coverage in coverages:
            in_dates = coverage.effective_from <= day and (
                coverage.effective_to is None or day <= coverage.effective_to
            )
            if coverage.priority == priority and in_dates:
                return coverage
    for coverage in coverages:
        if coverage.active and coverage.priority == CoveragePriority.PRIMARY:
            return coverage
    return None


def _already_billed(encounter: Encounter) -> str:
    claim = (
        Claim.objects.filter(encounter=encounter)
        .filter(~Q(status=ClaimStatus.VOID) | Q(frequency_code=FrequencyCode.VOID))
        .order_by("-pk")
        .first()
    )
    if claim is not None:
        return f"This visit is already billed on claim {claim.number}."
    invoice = Invoice.objects.filter(encounter=encounter, status=InvoiceStatus.ISSUED).first()
    if invoice is not None:
        return f"This visit is already billed to the patient on invoice {invoice.number}."
    return ""


@transaction.atomic
def claim_build(*, encounter: Encounter, by: User | None) -> Claim | Invoice:
    """Bill a signed visit in one action: a draft claim to the patient's coverage, or a patient
    invoice when the patient has no coverage (self-pay)."""
    # The encounter row lock serializes two billers pressing "Build" at once.
    encounter = Encounter.objects.select_for_update().get(pk=encounter.pk)
    if not encounter.is_signed:
        raise ValidationError("Only a signed visit can be billed; this visit is still open.")
    if message := _already_billed(encounter):
        raise ValidationError(message)
    procedures = list(
        ProcedureLine.objects.filter(encounter=encounter)
        .select_related("fee_schedule_entry")
        .order_by("pk")
    )
    if not procedures:
        raise ValidationError("The visit has no coded procedures, so there is nothing to bill.")
    coverage = coverage_for_visit(encounter)
    if coverage is None:
        return _invoice_create(encounter=encounter, procedures=procedures, by=by)
    claim = Claim(
        patient_id=encounter.patient_id,
        encounter=encounter,
        coverage=coverage,
        payer=coverage.payer,
        rendering_provider_id=encounter.provider_id,
        claim_filing_indicator=default_filing_indicator(coverage.payer),
        created_by=by,
    )
    try:
        with transaction.atomic():
            _save(claim, by)
    except IntegrityError as error:
        raise ValidationError("This visit already has a claim.") from error
    for diagnosis in encounter.diagnoses.order_by("rank"):
        _save(ClaimDiagnosis(claim=claim, code_id=diagnosis.code_id, rank=diagnosis.rank), by)
    for number, procedure in enumerate(procedures, start=1):
        entry = procedure.fee_schedule_entry
        _save(
            ClaimLine(
                claim=claim,
                procedure_line=procedure,
                line_number=number,
                date_of_service=encounter.date_of_service,
                code_system=entry.code_system,
                code=entry.code,
                description=entry.description,
                modifiers=list(procedure.modifiers),
                diagnosis_pointers=list(procedure.diagnosis_pointers),
                units=procedure.units,
                unit_price=entry.price,
            ),
            by,
        )
    return claim


def _invoice_create(*, encounter: Encounter, procedures: list, by: User | None) -> Invoice:
    invoice = Invoice(
        patient_id=encounter.patient_id,
        encounter=encounter,
        issued_on=timezone.localdate(),
        created_by=by,
    )
    try:
        with transaction.atomic():
            _save(invoice, by)
    except IntegrityError as error:
        raise ValidationError("This visit already has an invoice.") from error
    for number, procedure in enumerate(procedures, start=1):
        entry = procedure.fee_schedule_entry
        _save(
            InvoiceLine(
                invoice=invoice,
                procedure_line=procedure,
                line_number=number,
                date_of_service=encounter.date_of_service,
                code=entry.code,
                description=entry.description,
                units=procedure.units,
                unit_price=entry.price,
            ),
            by,
        )
    return invoice


@transaction.atomic
def claim_mark_ready(*, claim: Claim, by: User | None, today=None) -> Claim:
    """A draft claim becomes ready to send only when the scrubber finds nothing blocking."""
    claim = _lock_claim(claim)
    if claim.status != ClaimStatus.DRAFT:
        raise ValidationError(
            f"Only a draft claim can be made ready; this one is {claim.get_status_display().lower()}."
        )
    blocking = [
        problem.message for problem in claim_scrub(claim=claim, today=today) if problem.blocking
    ]
    if blocking:
        raise ValidationError(blocking, code="scrub")
    claim.status = ClaimStatus.READY
    _save(claim, by, update_fields=["status", "updated_at"])
    return claim


@transaction.atomic
def claim_reopen(*, claim: Claim, by: User | None) -> Claim:
    """Take a ready claim back to draft, to correct it before it is sent."""
    claim = _lock_claim(claim)
    if claim.status != ClaimStatus.READY or claim.frequency_code == FrequencyCode.VOID:
        raise ValidationError("Only a ready claim that has not been sent can be reopened.")
    claim.status = ClaimStatus.DRAFT
    _save(claim, by, update_fields=["status", "updated_at"])
    return claim


CLAIM_FIELDS = [
    "coverage",
    "rendering_provider",
    "referring_provider_name",
    "referring_provider_npi",
    "claim_filing_indicator",
    "place_of_service",
]


@transaction.atomic
def claim_update(*, claim: Claim, data: dict, by: User | None) -> Claim:
    """Correct a draft claim's header: coverage, providers, insurance type, place of service."""
    claim = _lock_claim(claim)
    if not claim.is_editable:
        raise ValidationError("Only a draft claim can be changed.")
    for name in CLAIM_FIELDS:
        if name in data:
            setattr(claim, name, data[name])
    if claim.coverage.patient_id != claim.patient_id:
        raise ValidationError({"coverage": "Choose one of this patient's coverages."})
    claim.payer_id = claim.coverage.payer_id
    claim.referring_provider_name = claim.referring_provider_name.strip()
    if claim.referring_provider_npi:
        validate_npi(claim.referring_provider_npi)
    _save(claim, by)
    return claim


def parse_pointers(text: str, diagnosis_count: int = 12) -> list[int]:
    """'A, C' or 'AC' or '1 3' -> [1, 3]."""
    tokens = re.findall(r"\d+|[A-Za-z]", text or "")
    pointers = []
    for token in tokens:
        value = int(token) if token.isdigit() else LETTERS.find(token.upper()) + 1
        if not 1 <= value <= 12:
            raise ValidationError(f"{token} is not a diagnosis letter (A to L).")
        if value not in pointers:
            pointers.append(value)
    if len(pointers) > 4:
        raise ValidationError("A line points to at most 4 diagnoses.")
    return pointers


def parse_modifiers(text: str) -> list[str]:
    modifiers = [token.upper() for token in re.split(r"[\s,;:]+", text or "") if token]
    for modifier in modifiers:
        if not re.fullmatch(r"[0-9A-Z]{2}", modifier):
            raise ValidationError(
                f"{modifier} is not a modifier: two letters or digits, e.g. 25 or LT."
            )
    if len(modifiers) > 4:
        raise ValidationError("A line has at most 4 modifiers.")
    return modifiers


@transaction.atomic
def claim_line_update(*, line: ClaimLine, data: dict, by: User | None) -> ClaimLine:
    """Correct one line of a draft claim: units, charge per unit, modifiers, pointers."""
    claim = _lock_claim(line.claim)
    if not claim.is_editable:
        raise ValidationError("Only a draft claim can be changed.")
    line = ClaimLine.objects.get(pk=line.pk, claim=claim)
    errors = {}
    if "units" in data:
        units = data["units"]
        if not isinstance(units, int) or not 1 <= units <= 99:
            errors["units"] = "Units are between 1 and 99."
        else:
            line.units = units
    if "unit_price" in data:
        try:
            price = Decimal(str(data["unit_price"]))
        except InvalidOperation:
            price = None
        if price is None or price < 0 or price.as_tuple().exponent < -2 or price >= Decimal("1e8"):
            errors["unit_price"] = "Enter the charge in dollars and cents, e.g. 125.00."
        else:
            line.unit_price = price
    for name, parse in [("modifiers", parse_modifiers), ("diagnosis_pointers", parse_pointers)]:
        if name in data:
            value = data[name]
            try:
                setattr(line, name, parse(value) if isinstance(value, str) else list(value))
            except ValidationError as error:
                errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
    _save(line, by)
    line.refresh_from_db(fields=["charge"])
    return line


# --- After submission ------------------------------------------------------------------------


@transaction.atomic
def claim_accept(*, claim: Claim, payer_claim_number: str = "", by: User | None) -> Claim:
    """The payer acknowledged the claim (277CA); keep its claim number for follow-ups."""
    claim = _lock_claim(claim)
    if claim.status != ClaimStatus.SUBMITTED:
        raise ValidationError("Only a submitted claim can be marked accepted.")
    claim.status = ClaimStatus.ACCEPTED
    claim.payer_claim_number = payer_claim_number.strip()[:50] or claim.payer_claim_number
    _save(claim, by, update_fields=["status", "payer_claim_number", "updated_at"])
    return claim


@transaction.atomic
def claim_deny(
    *, claim: Claim, reason: str, code: str = "", payer_claim_number: str = "", by: User | None
) -> Claim:
    """Record a payer's denial, with its reason, so the claim can be corrected or voided."""
    claim = _lock_claim(claim)
    if claim.status not in (ClaimStatus.SUBMITTED, ClaimStatus.ACCEPTED):
        raise ValidationError("Only a submitted or accepted claim can be denied.")
    if claim.frequency_code == FrequencyCode.VOID:
        raise ValidationError("A void request cannot be denied; it only cancels the original.")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the payer denied the claim."})
    code = code.strip().upper()
    if code and not re.fullmatch(r"[A-Z0-9]{1,5}", code):
        raise ValidationError(
            {"code": "A reason code (CARC) is 1 to 5 letters or digits, e.g. 16."}
        )
    claim.status = ClaimStatus.DENIED
    claim.denial_reason = reason[:300]
    claim.denial_code = code
    claim.payer_claim_number = payer_claim_number.strip()[:50] or claim.payer_claim_number
    _save(claim, by)
    return claim


def _copy(claim: Claim, *, frequency_code: str, status: str, by: User | None) -> Claim:
    follow_up = Claim(
        patient_id=claim.patient_id,
        encounter_id=claim.encounter_id,
        coverage_id=claim.coverage_id,
        payer_id=claim.payer_id,
        rendering_provider_id=claim.rendering_provider_id,
        referring_provider_name=claim.referring_provider_name,
        referring_provider_npi=claim.referring_provider_npi,
        claim_filing_indicator=claim.claim_filing_indicator,
        place_of_service=claim.place_of_service,
        frequency_code=frequency_code,
        original_claim=claim,
        status=status,
        created_by=by,
    )
    _save(follow_up, by)
    for diagnosis in claim.diagnoses.order_by("rank"):
        _save(ClaimDiagnosis(claim=follow_up, code_id=diagnosis.code_id, rank=diagnosis.rank), by)
    for line in claim.lines.order_by("line_number"):
        _save(
            ClaimLine(
                claim=follow_up,
                procedure_line_id=line.procedure_line_id,
                line_number=line.line_number,
                date_of_service=line.date_of_service,
                code_system=line.code_system,
                code=line.code,
                description=line.description,
                modifiers=list(line.modifiers),
                diagnosis_pointers=list(line.diagnosis_pointers),
                units=line.units,
                unit_price=line.unit_price,
            ),
            by,
        )
    return follow_up


REPLACEABLE = (ClaimStatus.SUBMITTED, ClaimStatus.ACCEPTED, ClaimStatus.DENIED)


@transaction.atomic
def claim_resubmit(*, claim: Claim, by: User | None) -> Claim:
    """Start a corrected claim (frequency 7, replacing this one) as a draft to fix and send."""
    claim = _lock_claim(claim)
    if claim.superseded:
        raise ValidationError("This claim has already been replaced or voided.")
    if claim.status not in REPLACEABLE or claim.frequency_code == FrequencyCode.VOID:
        raise ValidationError(
            "Only a submitted, accepted or denied claim can be corrected and resubmitted."
        )
    claim.superseded = True
    _save(claim, by, update_fields=["superseded", "updated_at"])
    return _copy(claim, frequency_code=FrequencyCode.REPLACEMENT, status=ClaimStatus.DRAFT, by=by)


@transaction.atomic
def claim_void(*, claim: Claim, reason: str, by: User | None) -> Claim:
    """Void a claim. Never sent: it is simply void. Sent: a void request (frequency 8) is
    queued for the next batch. Nothing is deleted."""
    claim = _lock_claim(claim)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the claim is being voided."})
    if claim.status == ClaimStatus.VOID or claim.superseded:
        raise ValidationError("This claim is already void or replaced.")
    if claim.frequency_code == FrequencyCode.VOID:
        raise ValidationError("This is a void request already.")
    if claim.status == ClaimStatus.PAID:
        raise ValidationError("A paid claim cannot be voided; send a corrected claim instead.")
    if claim.lines.filter(Q(allocations__isnull=False) | Q(adjustments__isnull=False)).exists():
        raise ValidationError(
            "Payments or adjustments are posted to this claim; it cannot be voided."
        )
    claim.void_reason = reason[:300]
    if claim.status in (ClaimStatus.DRAFT, ClaimStatus.READY):
        claim.status = ClaimStatus.VOID
        _save(claim, by, update_fields=["status", "void_reason", "updated_at"])
        # A discarded correction gives the claim it would have replaced its place back.
        if claim.original_claim_id is not None:
            original = Claim.objects.select_for_update().get(pk=claim.original_claim_id)
            if original.status != ClaimStatus.VOID:
                original.superseded = False
                _save(original, by, update_fields=["superseded", "updated_at"])
        return claim
    claim.status = ClaimStatus.VOID
    claim.superseded = True
    _save(claim, by, update_fields=["status", "superseded", "void_reason", "updated_at"])
    return _copy(claim, frequency_code=FrequencyCode.VOID, status=ClaimStatus.READY, by=by)


@transaction.atomic
def invoice_void(*, invoice: Invoice, reason: str, by: User | None) -> Invoice:
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the invoice is being voided."})
    if invoice.status == InvoiceStatus.VOID:
        raise ValidationError("This invoice is already void.")
    invoice.status = InvoiceStatus.VOID
    invoice.void_reason = reason[:300]
    _save(invoice, by, update_fields=["status", "void_reason", "updated_at"])
    return invoice
