"""The data of a CMS-1500 (02/12) claim form, box by box, for templates/billing/pdf/cms1500.html.

The form has room for six service lines; a longer claim continues on further pages, each
repeating the header boxes, with the total (box 28) on the last page only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from billing.models import LETTERS, Claim, ClaimFilingIndicator, FrequencyCode
from emr.models import Clinic, SubscriberRelationship

LINES_PER_PAGE = 6

# Box 1: the insurance type checked for each claim filing indicator.
INSURANCE_TYPE = {
    ClaimFilingIndicator.MEDICARE_B: "medicare",
    ClaimFilingIndicator.MEDICAID: "medicaid",
    ClaimFilingIndicator.TRICARE: "tricare",
    ClaimFilingIndicator.VETERANS: "champva",
    ClaimFilingIndicator.OTHER: "other",
}
RELATIONSHIP = {
    SubscriberRelationship.SELF: "self",
    SubscriberRelationship.SPOUSE: "spouse",
    SubscriberRelationship.CHILD: "child",
    SubscriberRelationship.OTHER: "other",
}


def _date(day) -> str:
    return day.strftime("%m %d %y") if day else ""


def _birth(day) -> str:
    return day.strftime("%m %d %Y") if day else ""


def _money(amount: Decimal) -> tuple[str, str]:
    """Dollars and cents, as the form's split charge columns hold them."""
    dollars, cents = f"{amount:.2f}".split(".")
    return dollars, cents


def _name(last: str, first: str, middle: str = "") -> str:
    return ", ".join(part for part in [last, " ".join(p for p in [first, middle[:1]] if p)] if part)


@dataclass
class FormLine:
    date_from: str
    date_to: str
    place_of_service: str
    code: str
    modifiers: list[str]
    pointers: str
    charge_dollars: str
    charge_cents: str
    units: int
    rendering_npi: str
    description: str


def cms1500_context(claim: Claim, clinic: Clinic | None) -> dict:
    """Everything the form prints, ready for the template (which only places it)."""
    coverage, patient, payer = claim.coverage, claim.patient, claim.payer
    diagnoses = sorted(claim.diagnoses.all(), key=lambda diagnosis: diagnosis.rank)
    # Box 21 letters follow the diagnoses' order; pointers are printed with those letters.
    letter_of = {diagnosis.rank: LETTERS[index] for index, diagnosis in enumerate(diagnoses)}
    subscriber_is_patient = coverage.patient_is_subscriber
    lines = sorted(claim.lines.all(), key=lambda line: line.line_number)
    npi = claim.rendering_provider.npi
    form_lines = []
    for line in lines:
        dollars, cents = _money(line.charge)
        form_lines.append(
            FormLine(
                date_from=_date(line.date_of_service),
                date_to=_date(line.date_of_service),
                place_of_service=claim.place_of_service,
                code=line.code,
                modifiers=[*line.modifiers, "", "", "", ""][:4],
                pointers="".join(
                    letter_of.get(pointer, "?") for pointer in line.diagnosis_pointers
                ),
                charge_dollars=dollars,
                charge_cents=cents,
                units=line.units,
                rendering_npi=npi,
                description=line.description,
            )
        )
    chunks = [
        form_lines[start : start + LINES_PER_PAGE]
        for start in range(0, max(len(form_lines), 1), LINES_PER_PAGE)
    ]
    total = sum((line.charge for line in lines), Decimal("0"))
    total_dollars, total_cents = _money(total)
    provider_user = claim.rendering_provider.user
    header = {
        "payer_name": payer.name,
        "payer_address": payer.address_lines,
        "insurance_type": INSURANCE_TYPE.get(claim.claim_filing_indicator, "group"),
        "insured_id": coverage.member_id,  # 1a
        "patient_name": _name(patient.last_name, patient.first_name, patient.middle_name),  # 2
        "patient_birth": _birth(patient.date_of_birth),  # 3
        "patient_sex": patient.sex_at_birth,
        "insured_name": _name(patient.last_name, patient.first_name, patient.middle_name)
        if subscriber_is_patient
        else _name(coverage.subscriber_last_name, coverage.subscriber_first_name),  # 4
        "patient_street": " ".join(p for p in [patient.address_line1, patient.address_line2] if p),
        "patient_city": patient.city,
        "patient_state": patient.state,
        "patient_zip": patient.postal_code,
        "patient_phone": patient.phone,
        "relationship": RELATIONSHIP.get(coverage.relationship, "other"),  # 6
        # 7: the insured's address; only known (the patient's own) when the patient is insured.
        "insured_street": " ".join(p for p in [patient.address_line1, patient.address_line2] if p)
        if subscriber_is_patient
        else "",
        "insured_city": patient.city if subscriber_is_patient else "",
        "insured_state": patient.state if subscriber_is_patient else "",
        "insured_zip": patient.postal_code if subscriber_is_patient else "",
        "insured_phone": patient.phone if subscriber_is_patient else "",
        "group_number": coverage.group_number,  # 11
        "insured_birth": _birth(
            patient.date_of_birth if subscriber_is_patient else coverage.subscriber_date_of_birth
        ),  # 11a
        "insured_sex": patient.sex_at_birth if subscriber_is_patient else coverage.subscriber_sex,
        "plan_name": payer.name,  # 11c
        "referring_name": claim.referring_provider_name,  # 17
        "referring_npi": claim.referring_provider_npi,  # 17b
        "icd_indicator": "0",  # 21: ICD-10-CM
        "diagnoses": [
            (LETTERS[index], diagnoses[index].code_id if index < len(diagnoses) else "")
            for index in range(12)
        ],
        "resubmission_code": claim.frequency_code
        if claim.frequency_code != FrequencyCode.ORIGINAL
        else "",  # 22
        "original_reference": claim.original_reference,
        "tax_id": clinic.tax_id if clinic else "",  # 25
        "account_number": claim.number,  # 26
        "rendering_signature": f"{provider_user.get_full_name()}"
        + (
            f", {claim.rendering_provider.credentials}"
            if claim.rendering_provider.credentials
            else ""
        ),
        "facility_name": clinic.name if clinic else "",  # 32
        "facility_address": clinic.address_lines if clinic else [],
        "facility_npi": clinic.group_npi if clinic else "",  # 32a
        "billing_name": clinic.name if clinic else "",  # 33
        "billing_address": clinic.address_lines if clinic else [],
        "billing_phone": clinic.phone if clinic else "",
        "billing_npi": clinic.group_npi if clinic else "",  # 33a
        "billing_taxonomy": clinic.taxonomy if clinic else "",  # 33b
    }
    pages = [
        {
            "lines": chunk + [None] * (LINES_PER_PAGE - len(chunk)),
            "number": index + 1,
            "last": index == len(chunks) - 1,
        }
        for index, chunk in enumerate(chunks)
    ]
    return {
        "form": header,
        "pages": pages,
        "page_count": len(pages),
        "total_dollars": total_dollars,
        "total_cents": total_cents,
        "total": total,
        "claim": claim,
    }
