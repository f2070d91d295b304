import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import dateformat, timezone
from playwright.sync_api import Page, expect

from scheduling.models import Appointment, AppointmentStatus
from tests.factories import TEST_PASSWORD, CoverageFactory, PatientFactory, ProviderFactory
from tests.scheduling.factories import AppointmentTypeFactory, working_week

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def midmorning_zone(now: datetime.datetime | None = None) -> str:
    """A fixed-offset zone where it is now between 10:00 and 11:00.

    The journey books today's next free slot and checks the patient in, which is only possible
    on the appointment's day: running the clinic in this zone makes it hold at any hour.
    """
    utc_hour = (now or datetime.datetime.now(datetime.UTC)).hour
    offset = (10 - utc_hour + 12) % 24 - 12
    if offset == 0:
        return "Etc/GMT"
    # POSIX-style names: Etc/GMT-3 is three hours *ahead* of UTC.
    return f"Etc/GMT{-offset:+d}"


@pytest.fixture
def clinic_day(roles, settings):
    settings.TIME_ZONE = midmorning_zone()
    provider = ProviderFactory(user__first_name="Priya", user__last_name="Raman")
    working_week(provider, start=datetime.time(7), end=datetime.time(19), days=range(7))
    AppointmentTypeFactory(name="Follow-up", duration_minutes=30, color="#0d6efd")
    maria = PatientFactory(first_name="Maria", last_name="Gonzalez")
    CoverageFactory(patient=maria, effective_from=datetime.date(2020, 1, 1))
    PatientFactory(first_name="John", last_name="Okafor")
    return provider


def log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def book(page: Page, search: str, patient_label: str) -> None:
    page.get_by_label("Search patients").fill(search)
    page.get_by_label(re.compile(patient_label)).check()
    page.get_by_label("Type").select_option(label="Follow-up (30 min)")
    page.get_by_label("Reason for visit").fill("Blood pressure check")
    page.get_by_role("button", name="Book appointment").click()


def test_front_desk_books_a_free_slot_sees_it_and_checks_the_patient_in(
    page: Page, live_server, front_desk, clinic_day
):
    today_heading = dateformat.format(timezone.localdate(), "l, F j, Y")
    log_in(page, live_server, front_desk.username)
    expect(page.get_by_role("heading", name=re.compile(r"^Today, "))).to_be_visible()

    page.get_by_role("link", name="Schedule", exact=True).click()
    expect(page.locator("#schedule-grid")).to_be_visible()

    # Moving between days swaps the calendar in place (htmx), without loading a new page.
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_role("link", name=re.compile("Next day")).click()
    expect(page).to_have_url(re.compile(r"date=\d{4}-\d{2}-\d{2}"))
    expect(page.locator("#schedule-date")).not_to_have_text(today_heading)
    page.locator("#schedule").get_by_role("link", name="Today", exact=True).click()
    expect(page.locator("#schedule-date")).to_have_text(today_heading)
    assert page.evaluate("window.stillTheSamePage") is True

    free_slot = page.locator("a.sg-free").first
    slot_time = free_slot.get_attribute("data-slot")
    slot_url = free_slot.get_attribute("href")
    free_slot.click()

    book(page, "gonz", "Gonzalez, Maria")

    expect(
        page.get_by_text(re.compile(r"Booked Maria Gonzalez with Priya Raman, MD"))
    ).to_be_visible()
    drawn = page.locator("#schedule-grid a.sg-appt", has_text="Gonzalez, Maria")
    expect(drawn).to_be_visible()
    expect(drawn).to_contain_text("Booked")
    expect(drawn).to_contain_text(slot_time.split(" ")[1])

    # Another patient into the same slot: refused, with the reason.
    page.goto(f"{live_server.url}{slot_url}")
    book(page, "okaf", "Okafor, John")
    expect(page.locator("#booking-form .alert-danger")).to_contain_text(
        "already has an appointment"
    )
    assert Appointment.objects.count() == 1

    page.get_by_role("link", name="Today", exact=True).click()
    row = page.locator("#today-appointments tr", has_text="Gonzalez, Maria")
    row.get_by_role("link", name="Check in").click()

    expect(page.locator("#check-in-demographics")).to_contain_text("Maria Gonzalez")
    page.get_by_label(re.compile("I confirmed the name")).check()
    page.get_by_role("button", name="Confirm and check in").click()

    expect(page.get_by_text("Maria Gonzalez is checked in.")).to_be_visible()
    row = page.locator("#today-appointments tr", has_text="Gonzalez, Maria")
    expect(row).to_contain_text("Arrived")
    appointment = Appointment.objects.get()
    assert appointment.status == AppointmentStatus.ARRIVED
    assert appointment.checked_in_by == front_desk
    assert appointment.checked_in_coverage is not None


def test_midmorning_zone_puts_the_clinic_between_ten_and_eleven():
    for utc_hour in range(24):
        moment = datetime.datetime(2026, 1, 5, utc_hour, 30, tzinfo=datetime.UTC)

        local = moment.astimezone(ZoneInfo(midmorning_zone(moment)))

        assert local.hour == 10, utc_hour
