"""Every page of emr/urls.py, visited as every role and as an anonymous visitor.

The expected access follows the permission matrix of emr/migrations/0003_roles.py.
"""

from dataclasses import dataclass
from typing import NamedTuple

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.urls import URLResolver, get_resolver, reverse

from emr.models import Coverage, Document, DocumentKind, DocumentStatus, Patient
from tests.factories import CoverageFactory, PatientFactory

pytestmark = pytest.mark.django_db

ROLES = ["front_desk", "clinician", "billing", "clinic_admin"]
EVERYONE = frozenset(ROLES)
PATIENT_EDITORS = frozenset({"front_desk", "clinic_admin"})
COVERAGE_EDITORS = frozenset({"front_desk", "billing", "clinic_admin"})
ADMINS = frozenset({"clinic_admin"})

PDF_BYTES = b"%PDF-1.4\n% a tiny stand-in for a rendered face sheet\n%%EOF\n"


@dataclass
class Chart:
    """One patient with a coverage and a ready face sheet: what the URLs point at."""

    patient: Patient
    coverage: Coverage
    document: Document


class Route(NamedTuple):
    name: str
    args: tuple[str, ...]  # Chart attributes whose pks fill the URL
    method: str
    allowed: frozenset[str]
    status: int  # for a role that is allowed
    redirect: str | None = None  # where an allowed 302 goes: a Chart attribute or a URL name
    by_role: dict[str, tuple[int, str]] | None = None  # roles that get their own answer


ROUTES = [
    # Front desk and clinicians land on their schedules, billing on its work queue (DESIGN.md 1).
    Route(
        "home",
        (),
        "get",
        EVERYONE,
        200,
        by_role={
            "front_desk": (302, "scheduling:today"),
            "clinician": (302, "scheduling:my_day"),
            "billing": (302, "billing:queue"),
        },
    ),
    # A signed-in user who opens the sign-in page is sent on to the home page.
    Route("login", (), "get", EVERYONE, 302, redirect="home"),
    Route("logout", (), "post", EVERYONE, 302, redirect="login"),
    Route("patients:list", (), "get", EVERYONE, 200),
    Route("patients:register", (), "get", PATIENT_EDITORS, 200),
    Route("patients:detail", ("patient",), "get", EVERYONE, 200),
    Route("patients:edit", ("patient",), "get", PATIENT_EDITORS, 200),
    Route("patients:deactivate", ("patient",), "get", PATIENT_EDITORS, 200),
    Route("patients:reactivate", ("patient",), "post", PATIENT_EDITORS, 302, redirect="patient"),
    Route("patients:history", ("patient",), "get", EVERYONE, 200),
    Route("patients:face_sheet", ("patient",), "post", EVERYONE, 302, redirect="new_document"),
    Route("patients:coverage_add", ("patient",), "get", COVERAGE_EDITORS, 200),
    Route("patients:coverage_edit", ("patient", "coverage"), "get", COVERAGE_EDITORS, 200),
    Route(
        "patients:coverage_inactivate",
        ("patient", "coverage"),
        "post",
        COVERAGE_EDITORS,
        302,
        redirect="patient",
    ),
    Route("documents:detail", ("document",), "get", EVERYONE, 200),
    Route("documents:download", ("document",), "get", EVERYONE, 200),
    Route("access_log", (), "get", ADMINS, 200),
]

POST_ONLY = [
    route for route in ROUTES if route.name.startswith("patients:") and route.method == "post"
]
GET_OR_POST_FORMS = [
    "patients:register",
    "patients:edit",
    "patients:deactivate",
    "patients:coverage_add",
    "patients:coverage_edit",
]


@pytest.fixture
def chart(db) -> Chart:
    # Inactive, so that a reactivation that should have been refused would show.
    patient = PatientFactory(active=False, deactivation_reason="moved away")
    coverage = CoverageFactory(patient=patient)
    document = Document(
        kind=DocumentKind.FACE_SHEET,
        owner_type=ContentType.objects.get_for_model(Patient),
        owner_id=patient.pk,
        patient=patient,
        title=f"Face sheet: {patient.full_name}",
        status=DocumentStatus.READY,
        size=len(PDF_BYTES),
    )
    document.file.save(f"face-sheet-{patient.mrn}.pdf", ContentFile(PDF_BYTES), save=True)
    return Chart(patient=patient, coverage=coverage, document=document)


def _url(route: Route, chart: Chart) -> str:
    return reverse(route.name, args=[getattr(chart, attribute).pk for attribute in route.args])


def _expected_redirect(route: Route, chart: Chart) -> str:
    if route.redirect == "patient":
        return chart.patient.get_absolute_url()
    if route.redirect == "new_document":
        return Document.objects.exclude(pk=chart.document.pk).get().get_absolute_url()
    return reverse(route.redirect)


def _visit(client, route: Route, url: str):
    response = getattr(client, route.method)(url)
    if response.streaming:
        # Read a download to its end: the test client then closes the file it streams.
        b"".join(response.streaming_content)
    return response


def _assert_chart_unchanged(chart: Chart) -> None:
    chart.patient.refresh_from_db()
    chart.coverage.refresh_from_db()
    assert chart.patient.active is False
    assert chart.coverage.active is True
    assert Document.objects.count() == 1


# The views that emr/urls.py routes to; other apps' pages are tested in their own modules.
EMR_VIEW_MODULES = {"emr.views", "django.contrib.auth.views"}


def _route_names(patterns, namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django's admin site has its own permission checks
            prefix = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _route_names(pattern.url_patterns, prefix)
        elif pattern.name and pattern.callback.__module__ in EMR_VIEW_MODULES:
            yield namespace + pattern.name


def test_permission_table_covers_every_url_of_the_app():
    routes = set(_route_names(get_resolver().url_patterns))

    assert {route.name for route in ROUTES} == routes


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=[route.name for route in ROUTES])
def test_each_role_gets_exactly_the_pages_its_permissions_allow(client_as, chart, route, role):
    client = client_as(role)
    url = _url(route, chart)

    response = _visit(client, route, url)

    if role in (route.by_role or {}):
        status, redirect = route.by_role[role]
        assert response.status_code == status
        assert response.url == reverse(redirect)
    elif role in route.allowed:
        assert response.status_code == route.status
        if route.status == 302:
            assert response.url == _expected_redirect(route, chart)
    else:
        assert response.status_code == 403
        _assert_chart_unchanged(chart)


@pytest.mark.parametrize("route", ROUTES, ids=[route.name for route in ROUTES])
def test_anonymous_visitor_is_sent_to_the_login_page(client, chart, route):
    url = _url(route, chart)

    response = _visit(client, route, url)

    if route.name == "login":
        assert response.status_code == 200
    elif route.name == "logout":
        assert response.status_code == 302
        assert response.url == reverse("login")
    else:
        assert response.status_code == 302
        assert response.url == f"{reverse('login')}?next={url}"
        _assert_chart_unchanged(chart)


@pytest.mark.parametrize("route", POST_ONLY, ids=[route.name for route in POST_ONLY])
def test_state_changing_views_refuse_get(client_as, chart, route):
    # Front desk holds every permission these views need, so only the method is wrong.
    client = client_as("front_desk")

    response = client.get(_url(route, chart))

    assert response.status_code == 405
    _assert_chart_unchanged(chart)


def test_the_post_only_views_are_reactivate_end_coverage_and_face_sheet():
    assert {route.name for route in POST_ONLY} == {
        "patients:reactivate",
        "patients:coverage_inactivate",
        "patients:face_sheet",
    }


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize("name", GET_OR_POST_FORMS)
def test_form_views_accept_only_get_and_post(client_as, chart, name, method):
    client = client_as("front_desk")
    route = next(route for route in ROUTES if route.name == name)

    response = getattr(client, method)(_url(route, chart))

    assert response.status_code == 405
    _assert_chart_unchanged(chart)


def test_document_download_serves_the_stored_file(client_as, chart):
    client = client_as("clinician")

    response = client.get(reverse("documents:download", args=[chart.document.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
