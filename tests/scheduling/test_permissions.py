"""Every scheduling page, visited as every role, as an anonymous visitor, with wrong methods.

The expected access follows scheduling/migrations/0003_roles.py.
"""

import datetime
from dataclasses import dataclass
from typing import NamedTuple

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone

from emr.models import Document
from scheduling.models import Appointment, AppointmentStatus
from tests.factories import PatientFactory, ProviderFactory
from tests.scheduling.factories import AppointmentFactory, AppointmentTypeFactory

pytestmark = pytest.mark.django_db

ROLES = ["front_desk", "clinician", "billing", "clinic_admin"]
EVERYONE = frozenset(ROLES)
DESK = frozenset({"front_desk", "clinic_admin"})
PRINTERS = frozenset({"front_desk", "clinician", "clinic_admin"})


@dataclass
class Schedule:
    appointment: Appointment


class Route(NamedTuple):
    name: str
    with_appointment: bool
    method: str
    allowed: frozenset[str]
    status: int
    data: dict | None = None


ROUTES = [
    Route("scheduling:day", False, "get", EVERYONE, 200),
    Route("scheduling:week", False, "get", EVERYONE, 200),
    Route("scheduling:today", False, "get", EVERYONE, 200),
    Route("scheduling:my_day", False, "get", frozenset({"clinician"}), 200),
    Route("scheduling:find", False, "get", EVERYONE, 200),
    Route("scheduling:book", False, "get", DESK, 200),
    Route("scheduling:patient_search", False, "get", DESK, 200),
    Route("scheduling:day_list", False, "post", PRINTERS, 302, {"date": "2026-01-05"}),
    Route("scheduling:appointment_detail", True, "get", EVERYONE, 200),
    Route("scheduling:appointment_reschedule", True, "get", DESK, 200),
    Route("scheduling:appointment_cancel", True, "get", DESK, 200),
    Route("scheduling:appointment_check_in", True, "get", DESK, 200),
    # A clinician may move only their own appointments: this one is another provider's.
    Route("scheduling:appointment_status", True, "post", DESK, 302, {"status": "no_show"}),
]

GET_ONLY = [
    route
    for route in ROUTES
    if route.method == "get"
    and route.name
    not in {
        "scheduling:book",
        "scheduling:appointment_reschedule",
        "scheduling:appointment_cancel",
        "scheduling:appointment_check_in",
    }
]
POST_ONLY = [route for route in ROUTES if route.method == "post"]
FORMS = [
    "scheduling:book",
    "scheduling:appointment_reschedule",
    "scheduling:appointment_cancel",
    "scheduling:appointment_check_in",
]


@pytest.fixture
def schedule(roles) -> Schedule:
    # Started an hour ago, so that a no-show may be marked.
    start = timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(hours=1)
    appointment = AppointmentFactory(
        provider=ProviderFactory(),
        patient=PatientFactory(),
        appointment_type=AppointmentTypeFactory(name="Follow-up"),
        start=start,
    )
    return Schedule(appointment=appointment)


def _url(route: Route, schedule: Schedule) -> str:
    args = [schedule.appointment.pk] if route.with_appointment else []
    return reverse(route.name, args=args)


def _unchanged(schedule: Schedule) -> None:
    schedule.appointment.refresh_from_db()
    assert schedule.appointment.status == AppointmentStatus.BOOKED
    assert Document.objects.count() == 0


def test_permission_table_covers_every_scheduling_url():
    names = {
        f"scheduling:{pattern.name}"
        for resolver in get_resolver().url_patterns
        if getattr(resolver, "namespace", None) == "scheduling"
        for pattern in resolver.url_patterns
    }

    assert {route.name for route in ROUTES} == names


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=[route.name for route in ROUTES])
def test_each_role_gets_exactly_the_pages_its_permissions_allow(client_as, schedule, route, role):
    client = client_as(role)

    response = getattr(client, route.method)(_url(route, schedule), route.data or {})

    if role in route.allowed:
        assert response.status_code == route.status
    else:
        assert response.status_code == 403
        _unchanged(schedule)


@pytest.mark.parametrize("route", ROUTES, ids=[route.name for route in ROUTES])
def test_anonymous_visitor_is_sent_to_the_login_page(client, schedule, route):
    url = _url(route, schedule)

    response = getattr(client, route.method)(url, route.data or {})

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"
    _unchanged(schedule)


@pytest.mark.parametrize("route", POST_ONLY, ids=[route.name for route in POST_ONLY])
def test_state_changing_views_refuse_get(client_as, schedule, route):
    client = client_as("front_desk")

    response = client.get(_url(route, schedule), route.data or {})

    assert response.status_code == 405
    _unchanged(schedule)


@pytest.mark.parametrize("route", GET_ONLY, ids=[route.name for route in GET_ONLY])
def test_read_only_pages_refuse_post(client_as, schedule, route):
    client = client_as("clinic_admin")

    response = client.post(_url(route, schedule))

    assert response.status_code == 405


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize("name", FORMS)
def test_form_views_accept_only_get_and_post(client_as, schedule, name, method):
    client = client_as("front_desk")
    route = next(route for route in ROUTES if route.name == name)

    response = getattr(client, method)(_url(route, schedule))

    assert response.status_code == 405
    _unchanged(schedule)


def test_a_clinician_moves_their_own_appointment_along(client, schedule):
    own = schedule.appointment
    own.status = AppointmentStatus.ARRIVED
    own.save()
    client.force_login(own.provider.user)

    response = client.post(
        reverse("scheduling:appointment_status", args=[own.pk]), {"status": "in_room"}
    )

    assert response.status_code == 302
    own.refresh_from_db()
    assert own.status == AppointmentStatus.IN_ROOM
    assert own.roomed_by == own.provider.user


def test_a_clinician_sees_only_their_own_day(client, schedule):
    mine = schedule.appointment
    today = timezone.localtime(mine.start).date()
    other = AppointmentFactory(start=mine.start)  # the same time, with another provider
    client.force_login(mine.provider.user)

    response = client.get(reverse("scheduling:my_day"), {"date": today.isoformat()})

    assert [appointment.pk for appointment in response.context["page"]] == [mine.pk]
    assert other.pk not in [appointment.pk for appointment in response.context["page"]]
