"""Coding an encounter: ICD-10-CM diagnoses (ranked, the claim's pointers) and procedures."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction

from charting.models import (
    MAX_DIAGNOSES,
    MAX_MODIFIERS,
    MAX_POINTERS,
    DiagnosisCode,
    Encounter,
    EncounterDiagnosis,
    FeeScheduleEntry,
    ProcedureLine,
)
from charting.services.guards import (
    check_own,
    lock_open_encounter,
)
from emr.models import User

# --- Diagnoses ------------------------------------------------------------------------------


def normalize_code(text: str) -> str:
    """'e119', 'E11.9 ' and 'E11.9' are all E11.9: upper case, the dot after 3 characters."""
    compact = re.sub(r"[\s.]", "", text).upper()
    return f"{compact[:3]}.{compact[3:]}" if len(compact) > 3 else compact


def diagnosis_code_for(code: str) -> DiagnosisCode:
    """The billable ICD-10-CM code `code`, or a message saying why it cannot be used."""
    normalized = normalize_code(code)
    found = DiagnosisCode.objects.filter(code=normalized).first()
    if found is None:
        raise ValidationError(
            {"code": f"{normalized or 'That'} is not an ICD-10-CM code. Search by code or words."},
            code="unknown_code",
        )
    if not found.billable:
        raise ValidationError(
            {
                "code": f"{found.code} ({found.description}) is a category, not a billable code: "
                "choose one of the more specific codes under it."
            },
            code="not_billable",
        )
    return found


@transaction.atomic
def diagnosis_add(*, encounter: Encounter, code: str, by: User | None) -> EncounterDiagnosis:
    """Attach a billable ICD-10-CM code with the next rank (1..12)."""
    encounter = lock_open_encounter(encounter.pk)
    check_own(encounter, by, "code this encounter")
    diagnosis_code = diagnosis_code_for(code)
    current = list(EncounterDiagnosis.objects.filter(encounter=encounter))
    if any(diagnosis.code_id == diagnosis_code.code for diagnosis in current):
        raise ValidationError(
            {"code": f"{diagnosis_code.code} is already on this encounter."}, code="duplicate"
        )
    if len(current) >= MAX_DIAGNOSES:
        raise ValidationError(
            {"code": "An encounter can carry at most 12 diagnoses (the claim's pointers A-L)."},
            code="too_many",
        )
    diagnosis = EncounterDiagnosis(encounter=encounter, code=diagnosis_code, rank=len(current) + 1)
    diagnosis._history_user = by
    diagnosis.save()
    return diagnosis


def _renumber(encounter: Encounter, ordered: list[EncounterDiagnosis], by: User | None) -> None:
    """Give `ordered` the ranks 1..n and move the procedure pointers along with their diagnoses."""
    new_rank = {diagnosis.rank: index for index, diagnosis in enumerate(ordered, start=1)}
    for diagnosis in ordered:
        if diagnosis.rank != new_rank[diagnosis.rank]:
            diagnosis.rank = new_rank[diagnosis.rank]
            diagnosis._history_user = by
            diagnosis.save(update_fields=["rank", "updated_at"])
    for procedure in ProcedureLine.objects.select_for_update().filter(encounter=encounter):
        pointers = [new_rank[rank] for rank in procedure.diagnosis_pointers if rank in new_rank]
        if pointers != procedure.diagnosis_pointers:
            procedure.diagnosis_pointers = pointers
            procedure._history_user = by
            procedure.save(update_fields=["diagnosis_pointers", "updated_at"])


@transaction.atomic
def diagnosis_remove(*, diagnosis: EncounterDiagnosis, by: User | None) -> None:
    """Take a diagnosis off an unsigned encounter; the others close up their ranks."""
    encounter = lock_open_encounter(diagnosis.encounter_id)
    check_own(encounter, by, "code this encounter")
    diagnoses = list(
        EncounterDiagnosis.objects.select_for_update().filter(encounter=encounter).order_by("rank")
    )
    target = next((item for item in diagnoses if item.pk == diagnosis.pk), None)
    if target is None:
        return
    for procedure in ProcedureLine.objects.filter(encounter=encounter).select_related(
        "fee_schedule_entry"
    ):
        if procedure.diagnosis_pointers == [target.rank]:
            raise ValidationError(
                f"Procedure {procedure.fee_schedule_entry.code} points only to "
                f"{target.code_id}: point it at another diagnosis first, or remove it.",
                code="still_pointed_to",
            )
    target._history_user = by
    target.delete()
    _renumber(encounter, [item for item in diagnoses if item.pk != target.pk], by)


@transaction.atomic
def diagnosis_rerank(
    *, encounter: Encounter, diagnosis_ids: list[int], by: User | None
) -> list[EncounterDiagnosis]:
    """Put the encounter's diagnoses in the given order (first = primary, pointer A)."""
    encounter = lock_open_encounter(encounter.pk)
    check_own(encounter, by, "code this encounter")
    diagnoses = {
        item.pk: item
        for item in EncounterDiagnosis.objects.select_for_update().filter(encounter=encounter)
    }
    if sorted(diagnosis_ids) != sorted(diagnoses):
        raise ValidationError(
            "The diagnoses changed while you were reordering them. Reload and try again."
        )
    ordered = [diagnoses[pk] for pk in diagnosis_ids]
    _renumber(encounter, ordered, by)
    return ordered


@transaction.atomic
def diagnosis_move(
    *, diagnosis: EncounterDiagnosis, direction: str, by: User | None
) -> list[EncounterDiagnosis]:
    """Move one diagnosis up or down one rank."""
    ranked = list(
        EncounterDiagnosis.objects.filter(encounter_id=diagnosis.encounter_id)
        .order_by("rank")
        .values_list("pk", flat=True)
    )
    if diagnosis.pk not in ranked:
        raise ValidationError("That diagnosis is no longer on the encounter.")
    index = ranked.index(diagnosis.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ranked):
        ranked[index], ranked[other] = ranked[other], ranked[index]
    return diagnosis_rerank(encounter=diagnosis.encounter, diagnosis_ids=ranked, by=by)


# --- Procedures -----------------------------------------------------------------------------


def _clean_modifiers(modifiers: list[str]) -> list[str]:
    cleaned = [modifier.strip().upper() for modifier in modifiers if modifier and modifier.strip()]
    if len(cleaned) > MAX_MODIFIERS:
        raise ValidationError({"modifiers": "A procedure takes at most 4 modifiers."})
    for modifier in cleaned:
        if not re.fullmatch(r"[0-9A-Z]{2}", modifier):
            raise ValidationError(
                {"modifiers": f"“{modifier}” is not a modifier: two letters or digits, e.g. 25."}
            )
    if len(set(cleaned)) != len(cleaned):
        raise ValidationError({"modifiers": "Each modifier once."})
    return cleaned


@transaction.atomic
def procedure_add(
    *,
    encounter: Encounter,
    fee_schedule_entry: FeeScheduleEntry,
    by: User | None,
    diagnosis_pointers: list[int],
    units: int = 1,
    modifiers: list[str] | None = None,
) -> ProcedureLine:
    """Add a service from the fee schedule, pointing at 1 to 4 of the encounter's diagnoses."""
    encounter = lock_open_encounter(encounter.pk)
    check_own(encounter, by, "code this encounter")
    if not fee_schedule_entry.active:
        raise ValidationError(
            {"fee_schedule_entry": f"{fee_schedule_entry.code} is no longer on the fee schedule."}
        )
    if not 1 <= units <= 99:
        raise ValidationError({"units": "Units are between 1 and 99."})
    cleaned_modifiers = _clean_modifiers(modifiers or [])
    pointers = [int(rank) for rank in diagnosis_pointers if rank not in (None, "")]
    diagnosis_count = EncounterDiagnosis.objects.filter(encounter=encounter).count()
    if diagnosis_count == 0:
        raise ValidationError(
            {"diagnosis_pointers": "Add a diagnosis first: every procedure points to one."}
        )
    if not pointers:
        raise ValidationError(
            {"diagnosis_pointers": "Choose the diagnosis (or up to 4) this procedure was for."}
        )
    if len(pointers) > MAX_POINTERS:
        raise ValidationError({"diagnosis_pointers": "A procedure points to at most 4 diagnoses."})
    if len(set(pointers)) != len(pointers):
        raise ValidationError({"diagnosis_pointers": "Point to each diagnosis once."})
    if any(not 1 <= rank <= diagnosis_count for rank in pointers):
        raise ValidationError(
            {"diagnosis_pointers": f"This encounter has diagnoses 1 to {diagnosis_count} only."}
        )
    procedure = ProcedureLine(
        encounter=encounter,
        fee_schedule_entry=fee_schedule_entry,
        units=units,
        modifiers=cleaned_modifiers,
        diagnosis_pointers=pointers,
    )
    procedure._history_user = by
    procedure.save()
    return procedure


@transaction.atomic
def procedure_remove(*, procedure: ProcedureLine, by: User | None) -> None:
    """Take a procedure off an unsigned encounter."""
    encounter = lock_open_encounter(procedure.encounter_id)
    check_own(encounter, by, "code this encounter")
    procedure = ProcedureLine.objects.filter(pk=procedure.pk, encounter=encounter).first()
    if procedure is not None:
        procedure._history_user = by
        procedure.delete()
