"""The claim scrubber: every reason a payer would reject a claim, found before it is sent."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

from billing.models import LETTERS, Claim, FrequencyCode
from emr.models import Clinic
from emr.validators import validate_npi

MAX_LINES = 50


@dataclass(frozen=True)
class ScrubProblem:
    message: str
    blocking: bool = True


def _npi_problem(label: str, npi: str) -> str:
    if not npi:
        return f"{label} has no NPI."
    try:
        validate_npi(npi)
    except ValidationError as error:
        return f"{label}: NPI {npi} is not valid. {error.messages[0]}"
    return ""


def _fmt(day: datetime.date) -> str:
    return day.strftime("%m/%d/%Y")


def claim_scrub(*, claim: Claim, today: datetime.date | None = None) -> list[ScrubProblem]:
    """Every reason the payer would reject this claim, in words a biller acts on."""
    today = today or timezone.localdate()
    claim = (
        Claim.objects.select_related(
            "patient",
            "coverage__payer",
            "payer",
            "rendering_provider__user",
            "encounter",
            "original_claim",
        )
        .prefetch_related("diagnoses__code", "lines")
        .get(pk=claim.pk)
    )
    problems: list[str] = []
    warnings: list[str] = []
    coverage, patient = claim.coverage, claim.patient
    day = claim.encounter.date_of_service
    diagnoses = list(claim.diagnoses.all())
    lines = list(claim.lines.all())

    # Coverage and subscriber
    label = f"{coverage.payer.name} coverage"
    if not coverage.active:
        problems.append(f"The {label} has been ended; bill the coverage in effect on {_fmt(day)}.")
    elif day < coverage.effective_from:
        problems.append(
            f"The {label} starts {_fmt(coverage.effective_from)}, after the date of service "
            f"{_fmt(day)}."
        )
    elif coverage.effective_to is not None and day > coverage.effective_to:
        problems.append(
            f"The {label} expired {_fmt(coverage.effective_to)}, before the date of service "
            f"{_fmt(day)}."
        )
    if not coverage.member_id.strip():
        problems.append(f"The member ID is missing on the {label}.")
    if not claim.payer.payer_id.strip():
        problems.append(f"{claim.payer.name} has no electronic payer ID.")
    if coverage.payer_id != claim.payer_id:
        problems.append(
            f"The coverage is now with {coverage.payer.name}, but the claim is to "
            f"{claim.payer.name}: choose the coverage again."
        )
    if coverage.patient_id != claim.patient_id:
        problems.append("The coverage on the claim belongs to another patient.")
    if not coverage.patient_is_subscriber:
        missing = [
            label
            for label, value in [
                ("first name", coverage.subscriber_first_name.strip()),
                ("last name", coverage.subscriber_last_name.strip()),
                ("date of birth", coverage.subscriber_date_of_birth),
            ]
            if not value
        ]
        if missing:
            problems.append(
                "The patient is not the subscriber, so the subscriber's "
                f"{', '.join(missing)} must be on the coverage."
            )
    if not (patient.address_line1 and patient.city and patient.state and patient.postal_code):
        problems.append("The patient's address is incomplete (street, city, state and ZIP code).")

    # Providers
    rendering = claim.rendering_provider
    if message := _npi_problem(f"Rendering provider {rendering}", rendering.npi):
        problems.append(message)
    if claim.referring_provider_npi and (
        message := _npi_problem("Referring provider", claim.referring_provider_npi)
    ):
        problems.append(message)
    if claim.referring_provider_npi and not claim.referring_provider_name.strip():
        problems.append("The referring provider's NPI is given without a name.")
    clinic = Clinic.current()
    if clinic is None:
        problems.append("The clinic's details (billing provider) have not been entered.")
    else:
        if message := _npi_problem("The clinic (billing provider)", clinic.group_npi):
            problems.append(message)
        if not re.sub(r"\D", "", clinic.tax_id):
            problems.append("The clinic's tax ID (EIN) is missing.")
        if not (clinic.address_line1 and clinic.city and clinic.state and clinic.postal_code):
            problems.append("The clinic's address is incomplete.")
        elif len(re.sub(r"\D", "", clinic.postal_code)) != 9:
            warnings.append(
                "The clinic's ZIP code has 5 digits; payers expect ZIP+4 for the billing provider."
            )

    # Dates
    if day > today:
        problems.append(f"The date of service {_fmt(day)} is in the future.")

    # Diagnoses
    ranks = {diagnosis.rank for diagnosis in diagnoses}
    if not diagnoses:
        problems.append("The claim has no diagnosis.")
    for diagnosis in diagnoses:
        letter = LETTERS[diagnosis.rank - 1]
        if not diagnosis.code.billable:
            problems.append(
                f"Diagnosis {letter} ({diagnosis.code.code}) is not a billable ICD-10-CM code: "
                "use a more specific code."
            )

    # Lines
    if not lines:
        problems.append("The claim has no service lines.")
    if len(lines) > MAX_LINES:
        problems.append(f"A claim holds at most {MAX_LINES} service lines.")
    for line in lines:
        name = f"Line {line.line_number} ({line.code})"
        if not line.diagnosis_pointers:
            problems.append(f"{name} does not point to any diagnosis.")
        for pointer in line.diagnosis_pointers:
            if pointer not in ranks:
                problems.append(
                    f"{name} points to diagnosis {LETTERS[pointer - 1]}, but the claim has no "
                    f"diagnosis {LETTERS[pointer - 1]}."
                )
        if line.unit_price is None or line.unit_price <= 0:
            problems.append(f"{name} has no charge.")
        if line.date_of_service > today:
            problems.append(
                f"{name}: the date of service {_fmt(line.date_of_service)} is in the future."
            )

    # Follow-ups
    if claim.frequency_code in (FrequencyCode.REPLACEMENT, FrequencyCode.VOID) and (
        claim.original_claim is None
    ):
        problems.append("A replacement or void claim must refer to the claim it replaces.")

    return [ScrubProblem(message) for message in problems] + [
        ScrubProblem(message, blocking=False) for message in warnings
    ]
