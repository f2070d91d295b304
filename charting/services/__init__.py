"""Writes that carry a charting rule: starting an encounter, vitals, the note, coding, signing,
addenda, and the patient's allergies, problems and medications.

Every write to an encounter or one of its parts first locks the encounter row
(`_lock_open_encounter`), so that writes to one encounter are serialized and a signature sees
every change made before it. Postgres refuses changes to signed encounters as well (triggers of
migration 0002); the checks here are there to say so in the clinician's words first.
"""

from charting.services.chart import (
    ALLERGY_FIELDS,
    allergy_add,
    allergy_update,
    medication_add,
    medication_update,
    problem_add,
    problem_update,
)
from charting.services.coding import (
    diagnosis_add,
    diagnosis_code_for,
    diagnosis_move,
    diagnosis_remove,
    diagnosis_rerank,
    normalize_code,
    procedure_add,
    procedure_remove,
)
from charting.services.fee_schedule import FEE_SCHEDULE_COLUMNS, ImportResult, fee_schedule_import
from charting.services.guards import SIGNED_MESSAGE, is_signed_encounter_error
from charting.services.visits import (
    NOTE_SECTIONS,
    addendum_add,
    encounter_sign,
    encounter_start,
    note_apply_template,
    note_save,
    vitals_record,
)

__all__ = [
    "ALLERGY_FIELDS",
    "FEE_SCHEDULE_COLUMNS",
    "NOTE_SECTIONS",
    "SIGNED_MESSAGE",
    "ImportResult",
    "addendum_add",
    "allergy_add",
    "allergy_update",
    "diagnosis_add",
    "diagnosis_code_for",
    "diagnosis_move",
    "diagnosis_remove",
    "diagnosis_rerank",
    "encounter_sign",
    "encounter_start",
    "fee_schedule_import",
    "is_signed_encounter_error",
    "medication_add",
    "medication_update",
    "normalize_code",
    "note_apply_template",
    "note_save",
    "problem_add",
    "problem_update",
    "procedure_add",
    "procedure_remove",
    "vitals_record",
]
