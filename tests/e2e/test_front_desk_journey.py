import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_front_desk_registers_a_patient_and_finds_them_by_search(
    page: Page, live_server, front_desk
):
    log_in(page, live_server, front_desk.username)
    page.get_by_role("link", name="Register patient").first.click()

    page.get_by_label("First name").fill("Imogen")
    page.get_by_label("Last name").fill("Featherstonehaugh")
    page.get_by_label("Date of birth").fill("1990-07-04")
    page.get_by_label("Sex at birth").select_option("F")
    page.get_by_label("Mobile phone").fill("217-555-0142")
    page.get_by_role("button", name="Register patient").click()

    expect(
        page.get_by_role("heading", name=re.compile("Featherstonehaugh, Imogen"))
    ).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"Registered Imogen Featherstonehaugh, MRN \d{8}"))
    ).to_be_visible()

    page.get_by_role("link", name="Patients", exact=True).click()
    page.get_by_label("Search patients").fill("feath")
    # Results update as you type (htmx), without a full page load.
    expect(page.locator("#patient-results")).to_contain_text("Featherstonehaugh, Imogen")
    expect(page.locator("#patient-results tbody tr")).to_have_count(1)

    page.get_by_label("Search patients").fill("07/04/1990")
    expect(page.locator("#patient-results")).to_contain_text("Featherstonehaugh, Imogen")

    page.get_by_role("link", name="Featherstonehaugh, Imogen").click()
    page.get_by_role("link", name="History").click()
    expect(page.locator("#history")).to_contain_text("Created")
    expect(page.locator("#history")).to_contain_text(front_desk.username)


def test_wrong_password_shows_a_message_not_an_error(page: Page, live_server, front_desk):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(front_desk.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()
