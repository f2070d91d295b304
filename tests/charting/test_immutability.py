"""A signed encounter cannot be changed by any path: Postgres refuses it, whatever the ORM
call, and the admin offers no way to try. Addenda are insert-only."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from charting import services
from charting.models import (
    Addendum,
    ClinicalNote,
    Encounter,
    EncounterDiagnosis,
    ProcedureLine,
    Vitals,
)
from tests.charting.factories import FeeScheduleEntryFactory

pytestmark = pytest.mark.django_db

PARTS = {
    "encounter": lambda e: Encounter.objects.filter(pk=e.pk),
    "note": lambda e: ClinicalNote.objects.filter(encounter=e),
    "vitals": lambda e: Vitals.objects.filter(encounter=e),
    "diagnosis": lambda e: EncounterDiagnosis.objects.filter(encounter=e),
    "procedure": lambda e: ProcedureLine.objects.filter(encounter=e),
}
CHANGES = {
    "encounter": {"chief_complaint": "rewritten"},
    "note": {"plan": "rewritten"},
    "vitals": {"pulse": 99},
    "diagnosis": {"rank": 2},
    "procedure": {"units": 3},
}


def _refused():
    return pytest.raises(IntegrityError, match="charting_signed_encounter_locked")


@pytest.mark.parametrize("part", PARTS)
def test_instance_save_is_refused(signed, part):
    instance = PARTS[part](signed).get()
    for name, value in CHANGES[part].items():
        setattr(instance, name, value)

    with _refused(), transaction.atomic():
        instance.save()


@pytest.mark.parametrize("part", PARTS)
def test_queryset_update_is_refused(signed, part):
    with _refused(), transaction.atomic():
        PARTS[part](signed).update(**CHANGES[part])


@pytest.mark.parametrize("part", PARTS)
def test_delete_is_refused(signed, part):
    instance = PARTS[part](signed).get()

    with pytest.raises(IntegrityError), transaction.atomic():
        instance.delete()

    assert PARTS[part](signed).exists()


@pytest.mark.parametrize("part", PARTS)
def test_queryset_delete_and_raw_sql_are_refused(signed, part):
    table = PARTS[part](signed).model._meta.db_table

    with pytest.raises(IntegrityError), transaction.atomic():
        PARTS[part](signed)._raw_delete(connection.alias)
    with _refused(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET updated_at = now()")


def test_bulk_update_is_refused(signed):
    vitals = list(Vitals.objects.filter(encounter=signed))
    for reading in vitals:
        reading.pulse = 120

    with _refused(), transaction.atomic():
        Vitals.objects.bulk_update(vitals, ["pulse"])


def test_nothing_new_can_be_attached_to_a_signed_encounter(signed, clinician):
    entry = FeeScheduleEntryFactory(code="93000", description="Electrocardiogram")

    with _refused(), transaction.atomic():
        Vitals.objects.create(encounter=signed, pulse=70, taken_at=timezone.now())
    with _refused(), transaction.atomic():
        EncounterDiagnosis.objects.create(encounter=signed, code_id="E78.5", rank=2)
    with _refused(), transaction.atomic():
        ProcedureLine.objects.create(
            encounter=signed, fee_schedule_entry=entry, diagnosis_pointers=[1]
        )


def test_moving_a_part_out_of_a_signed_encounter_is_refused(signed, encounter, clinician, patient):
    other = services.encounter_start(provider=clinician.provider, patient=patient, by=clinician)

    with _refused(), transaction.atomic():
        Vitals.objects.filter(encounter=signed).update(encounter=other)


def test_an_open_encounter_can_still_be_changed_directly(encounter):
    Encounter.objects.filter(pk=encounter.pk).update(chief_complaint="changed")

    encounter.refresh_from_db()
    assert encounter.chief_complaint == "changed"


def test_addenda_are_insert_only(signed, clinician):
    addendum = services.addendum_add(encounter=signed, by=clinician, text="Correction.")

    addendum.text = "Rewritten."
    with _refused(), transaction.atomic():
        addendum.save()
    with _refused(), transaction.atomic():
        Addendum.objects.filter(pk=addendum.pk).update(text="Rewritten.")
    with _refused(), transaction.atomic():
        Addendum.objects.filter(pk=addendum.pk).delete()

    addendum.refresh_from_db()
    assert addendum.text == "Correction."


def test_an_addendum_cannot_be_slipped_onto_an_open_encounter(encounter, clinician):
    with (
        pytest.raises(IntegrityError, match="charting_addendum_needs_signed_encounter"),
        transaction.atomic(),
    ):
        Addendum.objects.create(encounter=encounter, author=clinician, text="too early")


# --- Admin ----------------------------------------------------------------------------------

ADMIN_PAGES = [
    ("encounter", lambda e: e),
    ("clinicalnote", lambda e: e.note),
    ("vitals", lambda e: e.vitals.get()),
    ("encounterdiagnosis", lambda e: e.diagnoses.get()),
    ("procedureline", lambda e: e.procedures.get()),
]


@pytest.fixture
def superuser_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root-test", "root@clinic.test", "x")
    client.force_login(admin)
    return client


@pytest.mark.parametrize(("model", "get"), ADMIN_PAGES, ids=[name for name, _get in ADMIN_PAGES])
def test_admin_shows_signed_parts_read_only_and_refuses_a_post(
    signed, superuser_client, model, get
):
    obj = get(signed)
    url = reverse(f"admin:charting_{model}_change", args=[obj.pk])

    page = superuser_client.get(url)
    response = superuser_client.post(url, {"chief_complaint": "rewritten", "plan": "rewritten"})

    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert response.status_code == 403
    assert (
        superuser_client.get(reverse(f"admin:charting_{model}_delete", args=[obj.pk])).status_code
        == 403
    )


def test_admin_can_still_edit_an_open_encounters_note(encounter, superuser_client):
    url = reverse("admin:charting_clinicalnote_change", args=[encounter.note.pk])

    page = superuser_client.get(url)

    assert b'name="_save"' in page.content
