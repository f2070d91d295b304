"""Races that matter, on real Postgres connections in threads: a double click on "Start visit",
and coding that races a signature (through the services, and around them)."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from charting import services
from charting.models import Encounter, EncounterDiagnosis, EncounterStatus
from tests.charting.conftest import complete_visit
from tests.charting.factories import AppointmentFactory, FeeScheduleEntryFactory, sample_codes
from tests.factories import PatientFactory, ProviderFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _in_thread(target, results: dict, key: str) -> threading.Thread:
    def run():
        try:
            results[key] = target()
        except Exception as error:
            results[key] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.fixture
def open_visit(roles):
    sample_codes()
    clinician = ProviderFactory().user
    encounter = services.encounter_start(
        provider=clinician.provider, patient=PatientFactory(), by=clinician
    )
    complete_visit(encounter, clinician, FeeScheduleEntryFactory())
    return encounter, clinician


def test_two_clicks_on_start_visit_open_one_encounter(roles):
    clinician = ProviderFactory().user
    appointment = AppointmentFactory(provider=clinician.provider)
    barrier = threading.Barrier(2)
    results: dict = {}

    def start():
        barrier.wait()
        return services.encounter_start(
            provider=clinician.provider, appointment=appointment, by=clinician
        ).pk

    threads = [_in_thread(start, results, name) for name in ("first", "second")]
    for thread in threads:
        thread.join(timeout=30)

    assert results["first"] == results["second"]
    assert Encounter.objects.filter(appointment=appointment).count() == 1


def test_a_diagnosis_added_while_signing_waits_then_is_refused(open_visit):
    encounter, clinician = open_visit
    signed_not_committed = threading.Event()
    release = threading.Event()
    results: dict = {}

    def sign():
        with transaction.atomic():
            services.encounter_sign(encounter=encounter, by=clinician)
            signed_not_committed.set()
            release.wait(timeout=30)
        return "signed"

    signer = _in_thread(sign, results, "sign")
    assert signed_not_committed.wait(timeout=30)
    coder = _in_thread(
        lambda: services.diagnosis_add(encounter=encounter, code="E78.5", by=clinician),
        results,
        "code",
    )
    time.sleep(0.5)
    assert coder.is_alive(), "the coder must wait for the signature's lock"
    release.set()
    signer.join(timeout=30)
    coder.join(timeout=30)

    assert results["sign"] == "signed"
    assert isinstance(results["code"], ValidationError)
    assert "signed and can no longer be changed" in str(results["code"])
    assert list(encounter.diagnoses.values_list("code_id", flat=True)) == ["I10"]


def test_a_signature_waits_for_a_diagnosis_written_around_the_services(open_visit):
    encounter, clinician = open_visit
    inserted_not_committed = threading.Event()
    release = threading.Event()
    results: dict = {}

    def insert_directly():
        # No service, no row lock of its own: the trigger's FOR SHARE is what holds the signer.
        with transaction.atomic():
            EncounterDiagnosis.objects.create(encounter=encounter, code_id="E78.5", rank=2)
            inserted_not_committed.set()
            release.wait(timeout=30)
        return "inserted"

    writer = _in_thread(insert_directly, results, "insert")
    assert inserted_not_committed.wait(timeout=30)
    signer = _in_thread(
        lambda: services.encounter_sign(encounter=encounter, by=clinician).status, results, "sign"
    )
    time.sleep(0.5)
    assert signer.is_alive(), "the signature must wait for the write under way"
    release.set()
    writer.join(timeout=30)
    signer.join(timeout=30)

    assert results["insert"] == "inserted"
    assert results["sign"] == EncounterStatus.SIGNED
    # The diagnosis came in before the signature, and is part of the signed record.
    assert list(encounter.diagnoses.order_by("rank").values_list("code_id", flat=True)) == [
        "I10",
        "E78.5",
    ]
