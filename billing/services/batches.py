"""837P batches: ready claims become one X12 file, validated before anything is saved."""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Iterable

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from billing import x12
from billing.models import Claim, ClaimBatch, ClaimStatus
from emr.models import Clinic, Document, DocumentKind, DocumentStatus, User

X12_CONTENT_TYPE = "application/edi-x12"


def x12_settings(clinic: Clinic) -> dict:
    """Who sends and who receives: the clearinghouse's IDs come from settings.BILLING_X12."""
    configured = getattr(settings, "BILLING_X12", {})
    tax_id = re.sub(r"\D", "", clinic.tax_id) or "SUBMITTER"
    return {
        "submitter_id": configured.get("submitter_id", tax_id),
        "receiver_id": configured.get("receiver_id", "CLEARINGHOUSE"),
        "receiver_name": configured.get("receiver_name", "Claims clearinghouse"),
        "usage_indicator": configured.get("usage_indicator", "T"),
        "contact_name": configured.get("contact_name", "Billing office"),
    }


def next_control_number() -> int:
    """From a Postgres sequence: never handed out twice, even across rollbacks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('billing_interchange_control_seq')")
        (number,) = cursor.fetchone()
    return number


def _address(obj) -> x12.Address:
    return x12.Address(
        line1=obj.address_line1,
        line2=obj.address_line2,
        city=obj.city,
        state=obj.state,
        postal_code=obj.postal_code,
    )


def split_name(name: str) -> tuple[str, str]:
    """'Walsh, Thomas' or 'Thomas Walsh' -> ('Walsh', 'Thomas')."""
    name = " ".join(name.split())
    if "," in name:
        last, first = name.split(",", 1)
        return last.strip(), first.strip()
    first, _, last = name.rpartition(" ")
    return last, first


def _claim_to_x12(claim: Claim) -> x12.Claim:
    coverage, patient = claim.coverage, claim.patient
    patient_person = x12.Person(
        last_name=patient.last_name,
        first_name=patient.first_name,
        middle_name=patient.middle_name,
        date_of_birth=patient.date_of_birth,
        sex=patient.sex_at_birth,
        address=_address(patient),
    )
    if coverage.patient_is_subscriber:
        subscriber_person = patient_person
    else:
        subscriber_person = x12.Person(
            last_name=coverage.subscriber_last_name,
            first_name=coverage.subscriber_first_name,
            date_of_birth=coverage.subscriber_date_of_birth,
            sex=coverage.subscriber_sex or "U",
        )
    diagnoses = sorted(claim.diagnoses.all(), key=lambda diagnosis: diagnosis.rank)
    # Claim diagnoses keep the visit's ranks; the file numbers them 1..n in that order.
    position = {diagnosis.rank: index for index, diagnosis in enumerate(diagnoses, start=1)}
    provider = claim.rendering_provider
    return x12.Claim(
        claim_id=claim.number,
        subscriber=x12.Subscriber(
            person=subscriber_person,
            member_id=coverage.member_id,
            payer=x12.Payer(claim.payer.name, claim.payer.payer_id),
            group_number=coverage.group_number,
            claim_filing_indicator=claim.claim_filing_indicator,
            payer_responsibility={"primary": "P", "secondary": "S", "tertiary": "T"}[
                coverage.priority
            ],
        ),
        diagnoses=[diagnosis.code_id for diagnosis in diagnoses],
        lines=[
            x12.ServiceLine(
                code=line.code,
                charge=line.charge,
                units=line.units,
                date_of_service=line.date_of_service,
                diagnosis_pointers=[
                    position.get(pointer, 0) for pointer in line.diagnosis_pointers
                ],
                modifiers=list(line.modifiers),
                line_reference=f"{claim.number}-{line.line_number}",
            )
            for line in sorted(claim.lines.all(), key=lambda line: line.line_number)
        ],
        rendering_provider=x12.RenderingProvider(
            last_name=provider.user.last_name,
            first_name=provider.user.first_name,
            npi=provider.npi,
            taxonomy=provider.taxonomy,
        ),
        relationship=coverage.relationship,
        patient=None if coverage.patient_is_subscriber else patient_person,
        place_of_service=claim.place_of_service,
        frequency_code=claim.frequency_code,
        original_reference=claim.original_reference,
        referring_provider=(
            x12.ReferringProvider(
                *split_name(claim.referring_provider_name), npi=claim.referring_provider_npi
            )
            if claim.referring_provider_npi
            else None
        ),
    )


def _claims_for_file(claim_ids: Iterable[int]):
    return (
        Claim.objects.filter(pk__in=list(claim_ids))
        .select_related(
            "patient", "coverage", "payer", "rendering_provider__user", "original_claim"
        )
        .prefetch_related("diagnoses", "lines")
        .order_by("pk")
    )


def build_text(
    *, claims, clinic: Clinic, control_number: int, generated_at: datetime.datetime
) -> str:
    config = x12_settings(clinic)
    local = timezone.localtime(generated_at)
    return x12.write_837p(
        envelope=x12.Envelope(
            sender_id=config["submitter_id"],
            receiver_id=config["receiver_id"],
            interchange_control_number=control_number,
            group_control_number=control_number,
            created_at=local,
            usage_indicator=config["usage_indicator"],
            reference=f"B{control_number:09d}",
        ),
        submitter=x12.Submitter(
            name=clinic.name,
            identifier=config["submitter_id"],
            contact_name=config["contact_name"],
            contact_phone=clinic.phone,
        ),
        receiver=x12.Receiver(name=config["receiver_name"], identifier=config["receiver_id"]),
        billing_provider=x12.BillingProvider(
            name=clinic.name,
            npi=clinic.group_npi,
            tax_id=clinic.tax_id,
            address=_address(clinic),
            taxonomy=clinic.taxonomy,
        ),
        claims=[_claim_to_x12(claim) for claim in claims],
    )


@transaction.atomic
def batch_create_837p(*, claim_ids: Iterable[int] | None = None, by: User | None) -> ClaimBatch:
    """Put ready claims (all of them, or those chosen) into one 837P file and mark them
    submitted. The file must pass the pyx12 validator, or nothing is saved."""
    ready = Claim.objects.select_for_update(of=("self",)).filter(status=ClaimStatus.READY)
    if claim_ids is not None:
        wanted = set(claim_ids)
        ready = ready.filter(pk__in=wanted)
    locked = list(ready.order_by("pk").values_list("pk", flat=True))
    if claim_ids is not None and set(locked) != wanted:
        raise ValidationError(
            "Some of the chosen claims are no longer ready (sent by someone else, or reopened). "
            "Reload the list and try again."
        )
    if not locked:
        raise ValidationError("There are no ready claims to send.")
    clinic = Clinic.current()
    if clinic is None:
        raise ValidationError(
            "Enter the clinic's details (billing provider) before sending claims."
        )
    claims = list(_claims_for_file(locked))
    control_number = next_control_number()
    generated_at = timezone.now()
    try:
        text = build_text(
            claims=claims, clinic=clinic, control_number=control_number, generated_at=generated_at
        )
    except x12.X12Error as error:
        raise ValidationError(f"The 837P file could not be built: {error}") from error
    errors = x12.validate(text)
    if errors:
        raise ValidationError(
            ["The 837P file did not pass validation, so nothing was sent:", *errors[:20]]
        )
    config = x12_settings(clinic)
    batch = ClaimBatch(
        interchange_control_number=control_number,
        group_control_number=control_number,
        generated_at=generated_at,
        receiver_name=config["receiver_name"],
        receiver_id=config["receiver_id"],
        usage_indicator=config["usage_indicator"],
        created_by=by,
    )
    batch._history_user = by
    batch.save()
    batch.document = _store_file(batch=batch, text=text, by=by)
    batch.save(update_fields=["document", "updated_at"])
    for claim in claims:
        claim.status = ClaimStatus.SUBMITTED
        claim.submitted_at = generated_at
        claim.batch = batch
        claim._history_user = by
    bulk_update_with_history(
        claims,
        Claim,
        ["status", "submitted_at", "batch", "updated_at"],
        default_user=by,
        batch_size=500,
    )
    return batch


def _store_file(*, batch: ClaimBatch, text: str, by: User | None) -> Document:
    content = text.encode("ascii")
    document = Document(
        kind=DocumentKind.X12_837P,
        owner_type=ContentType.objects.get_for_model(ClaimBatch),
        owner_id=batch.pk,
        title=f"837P batch {batch.interchange_control_number:09d} ({_claim_count(text)} claims)",
        requested_by=by,
        content_type=X12_CONTENT_TYPE,
        status=DocumentStatus.READY,
        size=len(content),
        checksum=hashlib.sha256(content).hexdigest(),
        attempts=1,
        completed_at=timezone.now(),
    )
    document.file.save(batch_filename(batch), ContentFile(content), save=False)
    document._history_user = by
    document.save()
    return document


def _claim_count(text: str) -> int:
    return text.count("~\nCLM*")


def batch_filename(batch: ClaimBatch) -> str:
    return f"837P-{batch.interchange_control_number:09d}.x12"


def batch_render_text(*, batch: ClaimBatch) -> str:
    """The batch's file written again, with its own control number and time (used only when
    its stored file has to be produced again)."""
    clinic = Clinic.current()
    claims = list(_claims_for_file(batch.claims.values_list("pk", flat=True)))
    return build_text(
        claims=claims,
        clinic=clinic,
        control_number=batch.interchange_control_number,
        generated_at=batch.generated_at,
    )
