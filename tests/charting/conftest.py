import time

import pytest

from charting import services
from charting.icd10 import icd10cm_load
from charting.models import DiagnosisCode
from tests.charting.factories import (
    EncounterFactory,
    FeeScheduleEntryFactory,
    sample_codes,
)
from tests.factories import PatientFactory, ProviderFactory


@pytest.fixture(scope="session")
def icd10cm_first_load(django_db_setup, django_db_blocker):
    """The real release, loaded once per test session (it takes seconds) and measured."""
    with django_db_blocker.unblock():
        started = time.monotonic()
        first = icd10cm_load()
        elapsed = time.monotonic() - started
        second = icd10cm_load()
    print(
        f"\nICD-10-CM load: {first.total} codes in {elapsed:.1f} s; reload {second.seconds:.1f} s"
    )
    return first, second


@pytest.fixture
def full_icd10cm(icd10cm_first_load, db):
    """The whole code set in the table (reloaded if a transactional test flushed it)."""
    if DiagnosisCode.objects.count() < icd10cm_first_load[0].total:
        icd10cm_load()
    return icd10cm_first_load


@pytest.fixture
def codes(db):
    sample_codes()


@pytest.fixture
def office_visit(db):
    return FeeScheduleEntryFactory()


@pytest.fixture
def encounter(clinician, patient, codes):
    """An open walk-in encounter of the `clinician` fixture, with its empty note."""
    return services.encounter_start(provider=clinician.provider, patient=patient, by=clinician)


def complete_visit(encounter, clinician, office_visit):
    services.note_save(
        encounter=encounter,
        by=clinician,
        data={
            "subjective": "Headaches in the morning.",
            "objective": "BP elevated on two readings.",
            "assessment": "Essential hypertension, new diagnosis.",
            "plan": "Start lisinopril 10 mg daily. Recheck in 4 weeks.",
        },
    )
    services.vitals_record(encounter=encounter, by=clinician, systolic_bp=152, diastolic_bp=94)
    services.diagnosis_add(encounter=encounter, code="I10", by=clinician)
    services.procedure_add(
        encounter=encounter, fee_schedule_entry=office_visit, diagnosis_pointers=[1], by=clinician
    )
    return encounter


def build_signed_visit():
    """A signed walk-in with a note, vitals, I10 and 99213, for tests that flush the database."""
    sample_codes()
    clinician = ProviderFactory().user
    encounter = services.encounter_start(
        provider=clinician.provider, patient=PatientFactory(), by=clinician
    )
    complete_visit(encounter, clinician, FeeScheduleEntryFactory())
    return services.encounter_sign(encounter=encounter, by=clinician), clinician


@pytest.fixture
def signable(encounter, clinician, office_visit):
    """An open encounter with everything signing needs: assessment, plan, a diagnosis."""
    return complete_visit(encounter, clinician, office_visit)


@pytest.fixture
def signed(signable, clinician):
    return services.encounter_sign(encounter=signable, by=clinician)


@pytest.fixture
def other_encounter(roles, codes):
    """An open encounter of another clinician."""
    return EncounterFactory()
