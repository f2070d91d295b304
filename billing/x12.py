"""A writer of X12 837P (005010X222A1) professional claim files, over plain dataclasses.

Pure: no database, no Django. `billing.services.batch_create_837p` maps claims onto these
dataclasses and supplies control numbers that never repeat (a Postgres sequence).

Loops, in the order the implementation guide requires them:

    ISA GS ST BHT
      1000A submitter (NM1*41, PER)      1000B receiver (NM1*40)
      2000A billing provider HL (PRV)    2010AA billing provider (NM1*85, N3, N4, REF*EI)
        2000B subscriber HL (SBR)        2010BA subscriber (NM1*IL, N3, N4, DMG)
                                         2010BB payer (NM1*PR)
          2000C patient HL (PAT)         2010CA patient (NM1*QC, N3, N4, DMG)  [dependents]
            2300 claim (CLM, REF*F8, HI) 2310A referring provider (NM1*DN)
                                         2310B rendering provider (NM1*82, PRV)
              2400 service line (LX, SV1, DTP*472)
    SE GE IEA

User data can never break a segment: separators and anything outside the X12 extended
character set are removed from every value (`clean`).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

ELEMENT = "*"
COMPONENT = ":"
REPETITION = "^"
SEGMENT = "~"

VERSION = "005010X222A1"
MAX_DIAGNOSES = 12
MAX_LINES = 50  # service lines per claim (2400 loop repeat)
MAX_MODIFIERS = 4
MAX_POINTERS = 4

# Letters, digits, space and the punctuation of the X12 extended character set, minus the
# four delimiters used by this writer.
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9 !\"&'()+,\-./;?=%@\[\]_{}\\|<>#$]")


class X12Error(ValueError):
    """The data cannot make a valid 837P (the claim scrubber should have caught it)."""


def clean(value: object, max_length: int | None = None) -> str:
    """Plain ASCII without delimiters or control characters, whitespace collapsed."""
    text = unicodedata.normalize("NFKD", str(value or "")).encode("ascii", "ignore").decode()
    text = _NOT_ALLOWED.sub(" ", text)
    text = " ".join(text.split())
    if max_length is not None:
        text = text[:max_length].rstrip()
    return text


def digits(value: object) -> str:
    return re.sub(r"\D", "", str(value or ""))


def amount(value: Decimal) -> str:
    """An X12 decimal (R): no trailing zeros, no exponent, e.g. 125, 80.5."""
    if not isinstance(value, Decimal):
        raise X12Error(f"money must be a Decimal, not {type(value).__name__}")
    text = f"{value.quantize(Decimal('0.01')):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def d8(day: datetime.date) -> str:
    return day.strftime("%Y%m%d")


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    state: str
    postal_code: str
    line2: str = ""


@dataclass(frozen=True)
class Submitter:
    name: str
    identifier: str  # the submitter's ETIN, as assigned by the receiver
    contact_name: str
    contact_phone: str


@dataclass(frozen=True)
class Receiver:
    name: str
    identifier: str


@dataclass(frozen=True)
class BillingProvider:
    """The organization that bills (the clinic, with its group NPI and EIN)."""

    name: str
    npi: str
    tax_id: str
    address: Address
    taxonomy: str = ""


@dataclass(frozen=True)
class Person:
    last_name: str
    first_name: str
    middle_name: str = ""
    date_of_birth: datetime.date | None = None
    sex: str = ""  # F, M or U
    address: Address | None = None


@dataclass(frozen=True)
class Payer:
    name: str
    payer_id: str


@dataclass(frozen=True)
class Subscriber:
    person: Person
    member_id: str
    payer: Payer
    group_number: str = ""
    claim_filing_indicator: str = "CI"  # CI commercial, MB Medicare Part B, MC Medicaid ...
    payer_responsibility: str = "P"  # P primary, S secondary, T tertiary


@dataclass(frozen=True)
class RenderingProvider:
    last_name: str
    first_name: str
    npi: str
    taxonomy: str = ""


@dataclass(frozen=True)
class ReferringProvider:
    last_name: str
    first_name: str
    npi: str


@dataclass(frozen=True)
class ServiceLine:
    code: str
    charge: Decimal
    units: int
    date_of_service: datetime.date
    diagnosis_pointers: Sequence[int]
    modifiers: Sequence[str] = ()
    code_system: str = "HC"  # HC: CPT/HCPCS
    line_reference: str = ""  # echoed back by payers on the 835 (REF*6R)


@dataclass(frozen=True)
class Claim:
    claim_id: str  # the patient control number (CLM01): how payers refer back to this claim
    subscriber: Subscriber
    diagnoses: Sequence[str]  # ICD-10-CM codes in rank order, with or without the dot
    lines: Sequence[ServiceLine]
    rendering_provider: RenderingProvider
    # Patient's relationship to the subscriber (X12 individual relationship code); 18 = self.
    relationship: str = "18"
    patient: Person | None = None  # required when relationship is not 18
    place_of_service: str = "11"
    frequency_code: str = "1"  # 1 original, 7 replacement, 8 void
    original_reference: str = ""  # the payer's claim number of the claim replaced or voided
    referring_provider: ReferringProvider | None = None

    @property
    def total_charge(self) -> Decimal:
        return sum((line.charge for line in self.lines), Decimal("0"))


@dataclass(frozen=True)
class Envelope:
    sender_id: str  # ISA06
    receiver_id: str  # ISA08
    interchange_control_number: int  # ISA13 / IEA02: never reused
    group_control_number: int  # GS06 / GE02
    created_at: datetime.datetime
    usage_indicator: str = "T"  # T test, P production
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"
    reference: str = ""  # BHT03: the batch's own identifier


@dataclass
class _Writer:
    segments: list[str] = field(default_factory=list)

    def add(self, tag: str, *elements: object) -> None:
        values = [tag, *(str(element) for element in elements)]
        while values and values[-1] == "":
            values.pop()
        self.segments.append(ELEMENT.join(values))


def composite(*parts: object) -> str:
    values = [str(part) for part in parts]
    while values and values[-1] == "":
        values.pop()
    return COMPONENT.join(values)


def _validate(claim: Claim) -> None:
    if not claim.lines:
        raise X12Error(f"claim {claim.claim_id} has no service lines")
    if len(claim.lines) > MAX_LINES:
        raise X12Error(f"claim {claim.claim_id} has more than {MAX_LINES} service lines")
    if not 1 <= len(claim.diagnoses) <= MAX_DIAGNOSES:
        raise X12Error(f"claim {claim.claim_id} needs 1 to {MAX_DIAGNOSES} diagnoses")
    if claim.relationship != "18" and claim.patient is None:
        raise X12Error(f"claim {claim.claim_id}: a dependent claim needs the patient")
    if claim.frequency_code in ("7", "8") and not clean(claim.original_reference):
        raise X12Error(f"claim {claim.claim_id}: a replacement or void needs the original claim")
    for line in claim.lines:
        if not 1 <= len(line.diagnosis_pointers) <= MAX_POINTERS or any(
            not 1 <= pointer <= len(claim.diagnoses) for pointer in line.diagnosis_pointers
        ):
            raise X12Error(f"claim {claim.claim_id}: line {line.code} points to no diagnosis")
        if len(line.modifiers) > MAX_MODIFIERS:
            raise X12Error(f"claim {claim.claim_id}: line {line.code} has too many modifiers")


def _name_segments(w: _Writer, qualifier: str, person: Person, id_qualifier="", ident="") -> None:
    w.add(
        "NM1",
        qualifier,
        "1",
        clean(person.last_name, 60),
        clean(person.first_name, 35),
        clean(person.middle_name, 25),
        "",
        "",
        id_qualifier,
        ident,
    )


def _address_segments(w: _Writer, address: Address) -> None:
    w.add("N3", clean(address.line1, 55), clean(address.line2, 55))
    w.add("N4", clean(address.city, 30), clean(address.state, 2), digits(address.postal_code)[:9])


def _demographics(w: _Writer, person: Person) -> None:
    if person.date_of_birth:
        w.add("DMG", "D8", d8(person.date_of_birth), person.sex or "U")


def write_837p(
    *,
    envelope: Envelope,
    submitter: Submitter,
    receiver: Receiver,
    billing_provider: BillingProvider,
    claims: Sequence[Claim],
) -> str:
    """One interchange, one functional group, one transaction set holding every claim."""
    if not claims:
        raise X12Error("a batch needs at least one claim")
    for claim in claims:
        _validate(claim)
    created = envelope.created_at
    isa13 = f"{envelope.interchange_control_number:09d}"
    if len(isa13) != 9:
        raise X12Error("the interchange control number has more than 9 digits")
    st02 = "0001"

    w = _Writer()
    w.add(
        "ST",
        "837",
        st02,
        VERSION,
    )
    w.add(
        "BHT",
        "0019",
        "00",
        clean(envelope.reference or isa13, 50),
        created.strftime("%Y%m%d"),
        created.strftime("%H%M"),
        "CH",
    )
    # 1000A submitter, 1000B receiver
    w.add(
        "NM1",
        "41",
        "2",
        clean(submitter.name, 60),
        "",
        "",
        "",
        "",
        "46",
        clean(submitter.identifier, 80),
    )
    w.add(
        "PER", "IC", clean(submitter.contact_name, 60), "TE", digits(submitter.contact_phone)[:10]
    )
    w.add(
        "NM1",
        "40",
        "2",
        clean(receiver.name, 60),
        "",
        "",
        "",
        "",
        "46",
        clean(receiver.identifier, 80),
    )

    # 2000A billing provider
    hl = 1
    billing_hl = hl
    w.add("HL", billing_hl, "", "20", "1")
    if billing_provider.taxonomy:
        w.add("PRV", "BI", "PXC", clean(billing_provider.taxonomy, 50))
    w.add(
        "NM1",
        "85",
        "2",
        clean(billing_provider.name, 60),
        "",
        "",
        "",
        "",
        "XX",
        digits(billing_provider.npi),
    )
    _address_segments(w, billing_provider.address)
    w.add("REF", "EI", digits(billing_provider.tax_id))

    for claim in claims:
        dependent = claim.relationship != "18"
        subscriber = claim.subscriber
        # 2000B subscriber
        hl += 1
        subscriber_hl = hl
        w.add("HL", subscriber_hl, billing_hl, "22", "1" if dependent else "0")
        w.add(
            "SBR",
            subscriber.payer_responsibility,
            "" if dependent else "18",
            clean(subscriber.group_number, 50),
            "",
            "",
            "",
            "",
            "",
            subscriber.claim_filing_indicator,
        )
        # 2010BA subscriber name: address and demographics are required when the subscriber
        # is the patient, and sent for a dependent's subscriber when known.
        _name_segments(w, "IL", subscriber.person, "MI", clean(subscriber.member_id, 80))
        if subscriber.person.address is not None:
            _address_segments(w, subscriber.person.address)
        _demographics(w, subscriber.person)
        # 2010BB payer
        w.add(
            "NM1",
            "PR",
            "2",
            clean(subscriber.payer.name, 60),
            "",
            "",
            "",
            "",
            "PI",
            clean(subscriber.payer.payer_id, 80),
        )
        if dependent:
            # 2000C patient, 2010CA patient name
            hl += 1
            w.add("HL", hl, subscriber_hl, "23", "0")
            w.add("PAT", claim.relationship)
            patient = claim.patient
            _name_segments(w, "QC", patient)
            if patient.address is not None:
                _address_segments(w, patient.address)
            _demographics(w, patient)
        _claim_segments(w, claim)

    # SE counts every segment of the transaction set, ST and SE included.
    w.add("SE", len(w.segments) + 1, st02)

    sender = clean(envelope.sender_id, 15).ljust(15)
    receiver_id = clean(envelope.receiver_id, 15).ljust(15)
    isa = ELEMENT.join(
        [
            "ISA",
            "00",
            " " * 10,
            "00",
            " " * 10,
            envelope.sender_qualifier,
            sender,
            envelope.receiver_qualifier,
            receiver_id,
            created.strftime("%y%m%d"),
            created.strftime("%H%M"),
            REPETITION,
            "00501",
            isa13,
            "0",
            envelope.usage_indicator,
            COMPONENT,
        ]
    )
    gs = ELEMENT.join(
        [
            "GS",
            "HC",
            clean(envelope.sender_id, 15),
            clean(envelope.receiver_id, 15),
            created.strftime("%Y%m%d"),
            created.strftime("%H%M"),
            str(envelope.group_control_number),
            "X",
            VERSION,
        ]
    )
    trailer = [
        ELEMENT.join(["GE", "1", str(envelope.group_control_number)]),
        ELEMENT.join(["IEA", "1", isa13]),
    ]
    return "".join(segment + SEGMENT + "\n" for segment in [isa, gs, *w.segments, *trailer])


def _claim_segments(w: _Writer, claim: Claim) -> None:
    # 2300 claim
    w.add(
        "CLM",
        clean(claim.claim_id, 38),
        amount(claim.total_charge),
        "",
        "",
        composite(claim.place_of_service, "B", claim.frequency_code),
        "Y",  # provider signature on file
        "A",  # assignment accepted
        "Y",  # benefits assigned
        "Y",  # release of information signed
    )
    if claim.frequency_code in ("7", "8"):
        w.add("REF", "F8", clean(claim.original_reference, 50))
    codes = [clean(code).replace(".", "").replace(" ", "") for code in claim.diagnoses]
    w.add(
        "HI",
        *[composite("ABK" if index == 0 else "ABF", code) for index, code in enumerate(codes)],
    )
    # 2310A referring provider
    referring = claim.referring_provider
    if referring is not None:
        w.add(
            "NM1",
            "DN",
            "1",
            clean(referring.last_name, 60),
            clean(referring.first_name, 35),
            "",
            "",
            "",
            "XX",
            digits(referring.npi),
        )
    # 2310B rendering provider: a person, so always different from the billing organization.
    rendering = claim.rendering_provider
    w.add(
        "NM1",
        "82",
        "1",
        clean(rendering.last_name, 60),
        clean(rendering.first_name, 35),
        "",
        "",
        "",
        "XX",
        digits(rendering.npi),
    )
    if rendering.taxonomy:
        w.add("PRV", "PE", "PXC", clean(rendering.taxonomy, 50))
    # 2400 service lines
    for number, line in enumerate(claim.lines, start=1):
        w.add("LX", number)
        w.add(
            "SV1",
            composite(
                line.code_system,
                clean(line.code, 48),
                *[clean(modifier, 2) for modifier in line.modifiers],
            ),
            amount(line.charge),
            "UN",
            line.units,
            "",
            "",
            composite(*line.diagnosis_pointers),
        )
        w.add("DTP", "472", "D8", d8(line.date_of_service))
        if line.line_reference:
            w.add("REF", "6R", clean(line.line_reference, 50))


def validate(text: str) -> list[str]:
    """The errors pyx12 finds in an 837P file: an empty list means a clean, accepted file."""
    import io
    import json
    import logging

    import pyx12.params
    import pyx12.x12n_document

    # pyx12 also logs every error it reports; the caller gets them as the return value.
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    report = io.StringIO()
    accepted = pyx12.x12n_document.x12n_document(
        param=pyx12.params.params(),
        src_file=io.StringIO(text),
        fd_997=io.StringIO(),
        fd_html=None,
        fd_json=report,
    )
    errors: list[str] = []

    def collect(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "errors" and isinstance(value, list):
                    for error in value:
                        errors.append(
                            error.get("err_str", str(error))
                            if isinstance(error, dict)
                            else str(error)
                        )
                else:
                    collect(value)
        elif isinstance(node, list):
            for item in node:
                collect(item)

    try:
        collect(json.loads(report.getvalue() or "{}"))
    except json.JSONDecodeError:
        errors.append("the validator's report could not be read")
    if not accepted and not errors:
        errors.append("the validator rejected the file")
    return errors
