"""The audit trail: the append-only access log, its page and CSV export, logins, history."""

import csv
import datetime
import io
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.utils import ProgrammingError
from django.urls import reverse
from django.utils import timezone

from emr.models import AccessLog
from tests.factories import TEST_PASSWORD, PatientFactory

pytestmark = pytest.mark.django_db

CLINIC_TZ = ZoneInfo(settings.TIME_ZONE)

CSV_HEADER = [
    "timestamp",
    "username",
    "action",
    "patient_mrn",
    "patient_name",
    "object",
    "description",
    "path",
    "ip_address",
]


def _at(*args) -> datetime.datetime:
    """A moment on the clinic's wall clock."""
    return datetime.datetime(*args, tzinfo=CLINIC_TZ)


def _entry(*, user, action, patient=None, when, description) -> AccessLog:
    return AccessLog.objects.create(
        timestamp=when,
        user=user,
        username=user.username,
        action=action,
        patient=patient,
        description=description,
    )


def _login(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def _table(html: str, table_id: str) -> str:
    start = html.index(f'id="{table_id}"')
    return html[start : html.index("</table>", start)]


# The access log cannot be changed


def test_access_log_rows_cannot_be_updated_even_by_a_direct_query(make_user):
    user = make_user("front_desk")
    entry = _entry(user=user, action="view", when=timezone.now(), description="chart")

    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        AccessLog.objects.filter(pk=entry.pk).update(description="nothing to see")

    entry.refresh_from_db()
    assert entry.description == "chart"


def test_access_log_rows_cannot_be_deleted_even_by_a_direct_query(make_user):
    user = make_user("front_desk")
    entry = _entry(user=user, action="view", when=timezone.now(), description="chart")

    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        AccessLog.objects.filter(pk=entry.pk).delete()
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        entry.delete()

    assert AccessLog.objects.filter(pk=entry.pk).exists()


@pytest.fixture
def admin_client(client, clinic_admin):
    client.force_login(clinic_admin)
    return client


@pytest.fixture
def logged_entry(front_desk, patient):
    return _entry(
        user=front_desk, action="view", patient=patient, when=timezone.now(), description="chart"
    )


def test_admin_lists_the_access_log_read_only(admin_client, logged_entry):
    response = admin_client.get(reverse("admin:emr_accesslog_changelist"))
    change_page = admin_client.get(reverse("admin:emr_accesslog_change", args=[logged_entry.pk]))

    assert response.status_code == 200
    assert logged_entry in response.context["cl"].result_list
    assert reverse("admin:emr_accesslog_add") not in response.content.decode()
    assert change_page.status_code == 200
    assert 'name="_save"' not in change_page.content.decode()


@pytest.mark.parametrize(
    ("view", "method", "with_pk"),
    [
        ("add", "get", False),
        ("add", "post", False),
        ("change", "post", True),
        ("delete", "get", True),
        ("delete", "post", True),
    ],
)
def test_admin_cannot_add_change_or_delete_access_log_rows(
    admin_client, logged_entry, view, method, with_pk
):
    url = reverse(f"admin:emr_accesslog_{view}", args=[logged_entry.pk] if with_pk else [])

    response = getattr(admin_client, method)(
        url, {"username": "someone-else", "action": "print", "post": "yes"}
    )

    assert response.status_code == 403
    logged_entry.refresh_from_db()
    assert (logged_entry.username, logged_entry.action) == ("frontdesk-test", "view")
    assert AccessLog.objects.filter(action="view").count() == 1


def test_admin_bulk_delete_action_is_not_offered_for_the_access_log(admin_client, logged_entry):
    changelist = reverse("admin:emr_accesslog_changelist")

    listed = admin_client.get(changelist)
    admin_client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [logged_entry.pk], "post": "yes"},
    )

    assert "delete_selected" not in listed.content.decode()
    assert AccessLog.objects.filter(pk=logged_entry.pk).exists()


# The access log page


@pytest.fixture
def audit_trail(make_user):
    """Four entries by two users on two patients, around the boundaries of March 5 (clinic time)."""
    alice = make_user("front_desk", username="alice")
    bob = make_user("clinician", username="bob")
    first = PatientFactory(mrn="00100042", last_name="First")
    second = PatientFactory(last_name="Second")
    _entry(user=alice, action="view", patient=first, when=_at(2025, 3, 3, 10, 0), description="e1")
    _entry(user=bob, action="view", patient=second, when=_at(2025, 3, 5, 23, 30), description="e2")
    _entry(
        user=alice, action="download", patient=second, when=_at(2025, 3, 6, 0, 30), description="e3"
    )
    _entry(user=bob, action="print", patient=first, when=_at(2025, 2, 20, 9, 0), description="e4")
    return SimpleNamespace(alice=alice, bob=bob, first=first, second=second)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (lambda trail: {"user": trail.alice.pk}, {"e1", "e3"}),
        (lambda trail: {"user": trail.bob.pk}, {"e2", "e4"}),
        (lambda trail: {"patient_mrn": trail.first.mrn}, {"e1", "e4"}),
        (lambda trail: {"patient_mrn": "100042"}, {"e1", "e4"}),
        (lambda trail: {"action": "download"}, {"e3"}),
        (lambda trail: {"date_from": "2025-03-04", "date_to": "2025-03-05"}, {"e2"}),
        (lambda trail: {"date_from": "2025-03-06", "date_to": "2025-03-31"}, {"e3"}),
        (lambda trail: {"date_to": "2025-02-28"}, {"e4"}),
        (
            lambda trail: {"user": trail.bob.pk, "date_from": "2025-03-01", "action": "view"},
            {"e2"},
        ),
    ],
    ids=[
        "user-alice",
        "user-bob",
        "patient-mrn",
        "patient-mrn-without-leading-zeros",
        "action",
        "date-range-in-clinic-days",
        "date-from-only",
        "date-to-only",
        "combined",
    ],
)
def test_access_log_page_filters_by_user_patient_action_and_dates(
    admin_client, audit_trail, filters, expected
):
    response = admin_client.get(reverse("access_log"), filters(audit_trail))

    assert response.status_code == 200
    assert {entry.description for entry in response.context["page"]} == expected


def _csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_access_log_exports_csv_with_header_and_rows(admin_client, audit_trail, clinic_admin):
    response = admin_client.get(
        reverse("access_log"), {"format": "csv", "user": audit_trail.alice.pk}
    )

    rows = _csv_rows(response)
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"].startswith('attachment; filename="access-log-')
    assert rows[0] == CSV_HEADER
    by_description = {row[6]: row for row in rows[1:]}
    assert set(by_description) == {"e1", "e3"}
    e1 = dict(zip(CSV_HEADER, by_description["e1"], strict=True))
    assert e1["username"] == "alice"
    assert e1["action"] == "view"
    assert e1["patient_mrn"] == "00100042"
    assert e1["patient_name"] == audit_trail.first.full_name
    assert e1["timestamp"] == "2025-03-03T10:00:00-05:00"
    assert AccessLog.objects.filter(action="export", user=clinic_admin).count() == 1


def test_access_log_csv_neutralises_cells_that_a_spreadsheet_would_run(admin_client, make_user):
    patient = PatientFactory(first_name='=HYPERLINK("http://evil.test")', last_name="Smith")
    AccessLog.objects.create(
        username="=cmd|' /C calc'!A0", action="login_failed", description="wrong password"
    )
    _entry(
        user=make_user("front_desk"),
        action="view",
        patient=patient,
        when=timezone.now(),
        description="-2+3",
    )

    rows = _csv_rows(admin_client.get(reverse("access_log"), {"format": "csv"}))

    cells = [cell for row in rows[1:] for cell in row]
    assert f"'{patient.full_name}" in cells
    assert "'=cmd|' /C calc'!A0" in cells
    assert "'-2+3" in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (
            {"date_from": "2025-03-10", "date_to": "2025-03-01"},
            "The start date is after the end date.",
        ),
        ({"patient_mrn": "99999999"}, "No patient has this MRN."),
        ({"date_from": "not-a-date"}, "Enter a valid date."),
    ],
)
def test_access_log_invalid_filter_shows_a_message_not_an_error(
    admin_client, audit_trail, filters, message
):
    response = admin_client.get(reverse("access_log"), filters)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert 'id="access-log"' not in response.content.decode()


def test_access_log_invalid_filter_exports_nothing(admin_client, audit_trail):
    response = admin_client.get(
        reverse("access_log"),
        {"format": "csv", "date_from": "2025-03-10", "date_to": "2025-03-01"},
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert not AccessLog.objects.filter(action="export").exists()


# Logins, logouts and failed logins


def test_login_is_logged_with_user_and_address(client, front_desk):
    response = _login(client, "frontdesk-test", TEST_PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("home")
    entry = AccessLog.objects.get(action="login")
    assert (entry.user, entry.username, entry.ip_address) == (
        front_desk,
        "frontdesk-test",
        "127.0.0.1",
    )


def test_logout_is_logged(client, front_desk):
    _login(client, "frontdesk-test", TEST_PASSWORD)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert AccessLog.objects.get(action="logout").user == front_desk
    assert "_auth_user_id" not in client.session


def test_wrong_password_is_logged_as_a_failed_login(client, front_desk):
    response = _login(client, "frontdesk-test", "not-the-password")

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session
    entry = AccessLog.objects.get(action="login_failed")
    assert entry.user is None
    assert entry.username == "frontdesk-test"
    assert entry.ip_address == "127.0.0.1"
    assert not AccessLog.objects.filter(action="login").exists()


def test_failed_login_for_an_unknown_username_is_logged_too(client, roles):
    _login(client, "nobody-here", "guess")

    assert AccessLog.objects.get(action="login_failed").username == "nobody-here"


def test_after_too_many_failures_even_the_right_password_is_locked_out(client, front_desk):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "frontdesk-test", "not-the-password")

    response = _login(client, "frontdesk-test", TEST_PASSWORD)

    assert settings.AXES_FAILURE_LIMIT == 5
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not AccessLog.objects.filter(action="login").exists()
    assert AccessLog.objects.filter(action="login_failed").count() > settings.AXES_FAILURE_LIMIT


def test_failures_below_the_limit_do_not_lock_out(client, front_desk):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "frontdesk-test", "not-the-password")

    response = _login(client, "frontdesk-test", TEST_PASSWORD)

    assert response.status_code == 302
    assert AccessLog.objects.get(action="login").user == front_desk


# Change history


def test_patient_history_shows_the_changed_field_and_who_changed_it(client, front_desk):
    patient = PatientFactory(
        first_name="Maria",
        last_name="Gonzalez",
        date_of_birth=datetime.date(1975, 3, 14),
        sex_at_birth="F",
        phone_mobile="312-555-7788",
        email="",
        address_line1="1 Test Lane",
        city="Springfield",
        state="IL",
        postal_code="62701",
        preferred_language="English",
    )
    client.force_login(front_desk)
    form = {
        "first_name": "Maria",
        "middle_name": "",
        "last_name": "Gonzalez-Reyes",
        "preferred_name": "",
        "date_of_birth": "1975-03-14",
        "sex_at_birth": "F",
        "gender_identity": "",
        "phone_mobile": "312-555-7788",
        "phone_home": "",
        "email": "",
        "address_line1": "1 Test Lane",
        "address_line2": "",
        "city": "Springfield",
        "state": "IL",
        "postal_code": "62701",
        "preferred_language": "English",
        "emergency_contact_name": "",
        "emergency_contact_relationship": "",
        "emergency_contact_phone": "",
        "deceased_date": "",
    }

    edited = client.post(reverse("patients:edit", args=[patient.pk]), form)
    response = client.get(reverse("patients:history", args=[patient.pk]))

    assert edited.status_code == 302
    history = _table(response.content.decode(), "history")
    assert "Last name" in history
    assert '<span class="history-old">Gonzalez</span>' in history
    assert '<span class="history-new">Gonzalez-Reyes</span>' in history
    assert "First name" not in history  # only what changed is listed
    assert "frontdesk-test" in history


# Sessions


def test_sessions_expire_after_fifteen_idle_minutes():
    assert settings.SESSION_COOKIE_AGE == 900
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_each_request_pushes_the_session_expiry_fifteen_minutes_ahead(client, front_desk):
    client.force_login(front_desk)
    session_key = client.session.session_key
    Session.objects.filter(pk=session_key).update(
        expire_date=timezone.now() + datetime.timedelta(minutes=1)
    )

    before = timezone.now()
    client.get(reverse("home"))

    expires = Session.objects.get(pk=session_key).expire_date
    assert before + datetime.timedelta(seconds=899) <= expires
    assert expires <= timezone.now() + datetime.timedelta(seconds=900)


def test_an_idle_session_is_sent_to_the_login_page(client, front_desk):
    client.force_login(front_desk)
    Session.objects.filter(pk=client.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )

    response = client.get(reverse("patients:list"))

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={reverse('patients:list')}"
