"""A clinician's visit, in the browser: from the checked-in patient to a signed, locked note."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from charting.models import ClinicalNote, Encounter
from scheduling.models import AppointmentStatus
from tests.charting.factories import (
    AppointmentFactory,
    FeeScheduleEntryFactory,
    NoteTemplateFactory,
    sample_codes,
)
from tests.factories import TEST_PASSWORD, PatientFactory, ProviderFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def checked_in(roles):
    sample_codes()
    NoteTemplateFactory()
    FeeScheduleEntryFactory()
    clinician = ProviderFactory(user__username="dr-journey").user
    patient = PatientFactory(first_name="Harriet", last_name="Quimby")
    appointment = AppointmentFactory(
        patient=patient,
        provider=clinician.provider,
        start=timezone.now().replace(second=0, microsecond=0),
        reason="Blood pressure check",
    )
    return clinician, patient, appointment


def test_clinician_charts_codes_and_signs_a_visit(page: Page, live_server, checked_in):
    clinician, _patient, appointment = checked_in
    log_in(page, live_server, clinician.username)

    # My day lists the checked-in patient; their chart offers to start the visit.
    expect(page.locator("#my-appointments")).to_contain_text("Quimby, Harriet")
    page.get_by_role("link", name="Quimby, Harriet").click()
    page.locator("#todays-visits").get_by_role("button", name="Start visit").click()
    expect(page.locator("#encounter-status")).to_have_text("Open")
    encounter = Encounter.objects.get(appointment=appointment)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.IN_ROOM

    # Vitals: an impossible reading is refused with a message, then a real one is flagged.
    vitals = page.locator("#vitals-form")
    vitals.get_by_label("BP systolic").fill("158")
    vitals.get_by_label("BP diastolic").fill("96")
    vitals.get_by_label("Pulse").fill("720")
    vitals.get_by_role("button", name="Record vitals").click()
    expect(page.locator("#vitals-card")).to_contain_text(
        "Pulse 720/min is not physiologically possible"
    )
    page.locator("#vitals-form").get_by_label("Pulse").fill("72")
    page.locator("#vitals-form").get_by_label("Weight").fill("182")
    page.locator("#vitals-form").get_by_role("button", name="Record vitals").click()
    expect(page.locator("#vitals-table")).to_contain_text("158/96 ↑")

    # The template fills the note; typing is saved without a click.
    page.get_by_label("Note template").select_option(label="Hypertension follow-up")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_label("Plan")).to_have_value(re.compile("Recheck in 3 months"))
    page.get_by_label("Subjective").fill("Home readings 150s over 90s. No chest pain.")
    expect(page.locator("#note-status")).to_contain_text(re.compile(r"^Saved \d\d:\d\d:\d\d"))
    assert ClinicalNote.objects.get(encounter=encounter).subjective.startswith("Home readings 150s")

    # Diagnosis by search, as you type.
    page.get_by_label("Add a diagnosis: search by code or words").fill("hypertension")
    first_result = page.locator("#diagnosis-results li").first
    expect(first_result).to_contain_text("I10 Essential (primary) hypertension")
    first_result.get_by_role("button", name="Add I10").click()
    expect(page.locator("#diagnosis-list")).to_contain_text("I10")

    # A procedure from the fee schedule, pointing at that diagnosis.
    procedure = page.locator("#procedure-form")
    procedure.get_by_label("Procedure").select_option(
        label="99213 Office visit, established patient, low"
    )
    procedure.get_by_label("Mod 1").fill("25")
    expect(procedure.get_by_label("A: I10")).to_be_checked()
    procedure.get_by_role("button", name="Add procedure").click()
    expect(page.locator("#procedure-table")).to_contain_text("99213")

    page.get_by_role("button", name="Sign encounter").click()

    expect(page.get_by_text("Encounter signed.")).to_be_visible()
    expect(page.locator("#encounter-status")).to_have_text("Signed")
    expect(page.locator("#note-locked")).to_be_visible()
    expect(page.locator("#note-form")).to_have_count(0)
    expect(page.locator("#vitals-form")).to_have_count(0)
    expect(page.locator("#diagnosis-search")).to_have_count(0)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED

    # Corrections are addenda, signed and shown under the note.
    page.get_by_label("Addendum").fill("Patient also reports occasional dizziness.")
    page.get_by_role("button", name="Sign addendum").click()
    expect(page.locator("#addenda")).to_contain_text("Patient also reports occasional dizziness.")
    expect(page.locator("#addenda")).to_contain_text(f"Addendum by {clinician.get_full_name()}")

    # The patient's chart lists the visit with its diagnosis.
    page.get_by_role("link", name="Chart").click()
    expect(page.locator("#encounter-timeline")).to_contain_text("I10")
    expect(page.locator("#encounter-timeline")).to_contain_text("Signed")
