"""Every charting page, for every role; htmx partials; form errors; the access log."""

from dataclasses import dataclass
from typing import NamedTuple

import pytest
from django.urls import URLResolver, get_resolver, reverse

from charting import services
from charting.models import (
    Addendum,
    Allergy,
    ChartItemStatus,
    ClinicalNote,
    Encounter,
    EncounterDiagnosis,
    FeeScheduleEntry,
    Medication,
    Problem,
    ProcedureLine,
    Vitals,
)
from emr.models import AccessLog, Document, Patient
from scheduling.models import Appointment, AppointmentStatus
from tests.charting.factories import AppointmentFactory, NoteTemplateFactory
from tests.factories import ProviderFactory

pytestmark = pytest.mark.django_db

ROLES = ["front_desk", "clinician", "billing", "clinic_admin"]
CLINICIAN = frozenset({"clinician"})
CODING_READERS = frozenset({"clinician", "billing", "clinic_admin"})
ADMINS = frozenset({"clinic_admin"})


@dataclass
class Chart:
    """What the URLs point at: one clinician's open and signed visits of one patient."""

    patient: Patient
    encounter: Encounter
    signed: Encounter
    appointment: Appointment
    diagnosis: EncounterDiagnosis
    procedure: ProcedureLine
    allergy: Allergy
    problem: Problem
    medication: Medication


class Route(NamedTuple):
    name: str
    args: tuple[str, ...]  # Chart attributes whose pks fill the URL
    method: str
    allowed: frozenset[str]
    status: int


ROUTES = [
    Route("charting:unsigned", (), "get", CLINICIAN, 200),
    Route("charting:encounter_detail", ("encounter",), "get", CODING_READERS, 200),
    Route("charting:encounter_detail", ("signed",), "get", CODING_READERS, 200),
    Route("charting:encounter_history", ("encounter",), "get", CLINICIAN, 200),
    Route("charting:vitals_add", ("encounter",), "post", CLINICIAN, 302),
    Route("charting:note_autosave", ("encounter",), "post", CLINICIAN, 302),
    Route("charting:note_template", ("encounter",), "post", CLINICIAN, 302),
    Route("charting:diagnosis_search", ("encounter",), "get", CLINICIAN, 200),
    Route("charting:diagnosis_add", ("encounter",), "post", CLINICIAN, 302),
    Route("charting:diagnosis_remove", ("encounter", "diagnosis"), "post", CLINICIAN, 302),
    Route("charting:diagnosis_move", ("encounter", "diagnosis"), "post", CLINICIAN, 302),
    Route("charting:procedure_add", ("encounter",), "post", CLINICIAN, 302),
    Route("charting:procedure_remove", ("encounter", "procedure"), "post", CLINICIAN, 302),
    Route("charting:encounter_sign", ("encounter",), "post", CLINICIAN, 302),
    Route("charting:addendum_add", ("signed",), "post", CLINICIAN, 302),
    Route("charting:visit_summary", ("signed",), "post", CLINICIAN, 302),
    Route("charting:encounter_start", ("appointment",), "post", CLINICIAN, 302),
    Route("charting:walk_in", ("patient",), "get", CLINICIAN, 200),
    Route("charting:allergies", ("patient",), "get", CLINICIAN, 200),
    Route("charting:allergy_status", ("patient", "allergy"), "post", CLINICIAN, 302),
    Route("charting:problems", ("patient",), "get", CLINICIAN, 200),
    Route("charting:problem_status", ("patient", "problem"), "post", CLINICIAN, 302),
    Route("charting:medications", ("patient",), "get", CLINICIAN, 200),
    Route("charting:medication_status", ("patient", "medication"), "post", CLINICIAN, 302),
    Route("charting:icd10_search", (), "get", CODING_READERS, 200),
    Route("charting:fee_schedule", (), "get", CODING_READERS, 200),
    Route("charting:fee_schedule_import", (), "get", ADMINS, 200),
]

POST_ONLY = [route for route in ROUTES if route.method == "post"]
GET_ONLY = [
    route
    for route in ROUTES
    if route.method == "get"
    and route.name
    not in {
        "charting:walk_in",
        "charting:allergies",
        "charting:problems",
        "charting:medications",
        "charting:fee_schedule_import",
    }
]


@pytest.fixture
def chart(clinician, patient, codes, office_visit) -> Chart:
    by = clinician
    provider = clinician.provider
    signed = services.encounter_start(provider=provider, patient=patient, by=by)
    services.note_save(
        encounter=signed, by=by, data={"assessment": "Hypertension", "plan": "Lisinopril"}
    )
    services.diagnosis_add(encounter=signed, code="I10", by=by)
    services.encounter_sign(encounter=signed, by=by)
    encounter = services.encounter_start(provider=provider, patient=patient, by=by)
    services.note_save(encounter=encounter, by=by, data={"subjective": "Cough for a week."})
    diagnosis = services.diagnosis_add(encounter=encounter, code="J06.9", by=by)
    procedure = services.procedure_add(
        encounter=encounter, fee_schedule_entry=office_visit, diagnosis_pointers=[1], by=by
    )
    return Chart(
        patient=patient,
        encounter=encounter,
        signed=signed,
        appointment=AppointmentFactory(provider=provider, patient=patient),
        diagnosis=diagnosis,
        procedure=procedure,
        allergy=services.allergy_add(patient=patient, by=by, data={"substance": "Penicillin"}),
        problem=services.problem_add(patient=patient, by=by, data={"code": "I10"}),
        medication=services.medication_add(
            patient=patient, by=by, data={"name": "Lisinopril 10 mg tablet"}
        ),
    )


@pytest.fixture
def login(client, clinician, make_user):
    """A client signed in with the role; the clinician is the chart's own provider."""

    def as_role(role: str):
        client.force_login(clinician if role == "clinician" else make_user(role))
        return client

    return as_role


def _url(route: Route, chart: Chart) -> str:
    return reverse(route.name, args=[getattr(chart, attribute).pk for attribute in route.args])


def _snapshot() -> dict:
    models = [Encounter, ClinicalNote, Vitals, EncounterDiagnosis, ProcedureLine, Addendum]
    models += [Allergy, Problem, Medication, FeeScheduleEntry, Document]
    counts = {model.__name__: model.objects.count() for model in models}
    counts.update({f"{model.__name__} history": model.history.count() for model in models})
    counts["appointment status"] = list(Appointment.objects.values_list("status", flat=True))
    return counts


def _charting_route_names(patterns, namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            prefix = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _charting_route_names(pattern.url_patterns, prefix)
        elif pattern.name and pattern.callback.__module__ == "charting.views":
            yield namespace + pattern.name


def test_permission_table_covers_every_charting_url():
    assert {route.name for route in ROUTES} == set(
        _charting_route_names(get_resolver().url_patterns)
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=[f"{r.name}-{'-'.join(r.args)}" for r in ROUTES])
def test_each_role_gets_exactly_the_pages_its_permissions_allow(login, chart, route, role):
    client = login(role)
    before = _snapshot()

    response = getattr(client, route.method)(_url(route, chart))

    if role in route.allowed:
        assert response.status_code == route.status
    else:
        assert response.status_code == 403
        assert _snapshot() == before


@pytest.mark.parametrize("route", ROUTES, ids=[f"{r.name}-{'-'.join(r.args)}" for r in ROUTES])
def test_anonymous_visitor_is_sent_to_the_login_page(client, chart, route):
    url = _url(route, chart)

    response = getattr(client, route.method)(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("route", POST_ONLY, ids=[r.name for r in POST_ONLY])
def test_post_only_pages_refuse_get(login, chart, route):
    before = _snapshot()

    response = login("clinician").get(_url(route, chart))

    assert response.status_code == 405
    assert _snapshot() == before


@pytest.mark.parametrize("route", GET_ONLY, ids=[r.name for r in GET_ONLY])
def test_read_only_pages_refuse_post(login, chart, route):
    response = login("clinician").post(_url(route, chart))

    assert response.status_code == 405


EDITS_OF_OWN_ENCOUNTER = [
    route
    for route in ROUTES
    if route.method == "post"
    and route.args
    and route.args[0] in {"encounter", "signed"}
    and route.name != "charting:visit_summary"
] + [Route("charting:diagnosis_search", ("encounter",), "get", CLINICIAN, 200)]


@pytest.mark.parametrize(
    "route", EDITS_OF_OWN_ENCOUNTER, ids=[r.name for r in EDITS_OF_OWN_ENCOUNTER]
)
def test_another_clinician_can_read_but_not_change_the_encounter(client, chart, route):
    client.force_login(ProviderFactory().user)
    before = _snapshot()

    page = client.get(reverse("charting:encounter_detail", args=[chart.encounter.pk]))
    response = getattr(client, route.method)(_url(route, chart))

    assert page.status_code == 200
    assert "Cough for a week." in page.content.decode()
    assert 'id="note-form"' not in page.content.decode()
    assert response.status_code == 403
    assert _snapshot() == before


def test_another_clinician_cannot_start_someone_elses_appointment(client, chart):
    client.force_login(ProviderFactory().user)

    response = client.post(reverse("charting:encounter_start", args=[chart.appointment.pk]))

    assert response.status_code == 403
    chart.appointment.refresh_from_db()
    assert chart.appointment.status == AppointmentStatus.ARRIVED


# --- What each role sees ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["billing", "clinic_admin"])
def test_billing_and_admin_see_coding_but_never_the_note_or_vitals(login, chart, role):
    services.vitals_record(encounter=chart.encounter, by=chart.encounter.provider.user, pulse=131)

    html = (
        login(role)
        .get(reverse("charting:encounter_detail", args=[chart.encounter.pk]))
        .content.decode()
    )
    chart_html = login(role).get(chart.patient.get_absolute_url()).content.decode()

    assert "J06.9" in html
    assert "99213" in html
    assert "Cough for a week." not in html
    assert "131" not in html
    assert "Visit summary" not in html
    assert "Penicillin" not in chart_html  # allergies are clinical
    assert "Lisinopril" not in chart_html
    assert "encounter-timeline" in chart_html


def test_front_desk_sees_no_clinical_section_on_the_patient_chart(login, chart):
    html = login("front_desk").get(chart.patient.get_absolute_url()).content.decode()

    assert "encounter-timeline" not in html
    assert "Penicillin" not in html
    assert "allergy-banner" not in html


def test_billing_cannot_open_the_visit_summary_document(
    login, chart, django_capture_on_commit_callbacks
):
    client = login("clinician")
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("charting:visit_summary", args=[chart.signed.pk]))
    document = Document.objects.get()

    response = login("billing").get(document.get_absolute_url())

    assert response.status_code == 403


def test_clinician_sees_allergy_banner_on_every_chart_page(login, chart):
    client = login("clinician")
    urls = [
        chart.patient.get_absolute_url(),
        reverse("patients:history", args=[chart.patient.pk]),
        reverse("charting:encounter_detail", args=[chart.encounter.pk]),
        reverse("charting:encounter_history", args=[chart.encounter.pk]),
        reverse("charting:problems", args=[chart.patient.pk]),
    ]

    for url in urls:
        html = client.get(url).content.decode()
        assert 'id="allergy-banner"' in html, url
        assert "Penicillin" in html, url


def test_patient_chart_shows_the_longitudinal_chart(login, chart):
    html = login("clinician").get(chart.patient.get_absolute_url()).content.decode()

    assert "Essential (primary) hypertension" in html  # problem list and timeline
    assert "Lisinopril 10 mg tablet" in html
    assert html.index(chart.encounter.get_absolute_url()) >= 0
    assert 'id="bp-trend"' in html


def test_viewing_an_encounter_writes_the_access_log(login, chart, clinician):
    login("clinician").get(reverse("charting:encounter_detail", args=[chart.encounter.pk]))

    entry = AccessLog.objects.get(object_type="charting.Encounter")
    assert entry.user == clinician
    assert entry.patient == chart.patient
    assert entry.object_id == str(chart.encounter.pk)
    assert entry.description == "encounter note"


def test_user_text_is_escaped(login, chart, clinician):
    services.note_save(
        encounter=chart.encounter, by=clinician, data={"subjective": "<script>alert(1)</script>"}
    )
    services.allergy_add(
        patient=chart.patient, by=clinician, data={"substance": "<b>latex</b>", "reaction": "<i>"}
    )

    html = (
        login("clinician")
        .get(reverse("charting:encounter_detail", args=[chart.encounter.pk]))
        .content.decode()
    )

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>latex</b>" not in html


# --- The encounter page at work ---------------------------------------------------------------


def test_open_encounter_page_offers_the_editing_tools(login, chart):
    NoteTemplateFactory()

    html = (
        login("clinician")
        .get(reverse("charting:encounter_detail", args=[chart.encounter.pk]))
        .content.decode()
    )

    assert 'id="note-form"' in html
    assert 'hx-trigger="input delay:700ms, change"' in html
    assert "Hypertension follow-up" in html
    assert 'id="vitals-form"' in html
    assert 'id="diagnosis-search"' in html
    assert 'id="procedure-form"' in html
    assert 'id="sign-form"' in html


def test_nothing_in_the_note_form_blocks_an_autosave(login, chart):
    NoteTemplateFactory()

    html = (
        login("clinician")
        .get(reverse("charting:encounter_detail", args=[chart.encounter.pk]))
        .content.decode()
    )

    note_form = html[
        html.index('id="note-form"') : html.index("</form>", html.index('id="note-form"'))
    ]
    assert "required" not in note_form


def test_patient_chart_offers_to_start_todays_checked_in_visit(login, chart):
    from django.utils import timezone

    Appointment.objects.filter(pk=chart.appointment.pk).update(
        start=timezone.now(), end=timezone.now() + timezone.timedelta(minutes=20)
    )

    html = login("clinician").get(chart.patient.get_absolute_url()).content.decode()

    assert 'id="todays-visits"' in html
    assert reverse("charting:encounter_start", args=[chart.appointment.pk]) in html


def test_signed_encounter_page_is_locked_with_an_addendum_form(login, chart):
    html = (
        login("clinician")
        .get(reverse("charting:encounter_detail", args=[chart.signed.pk]))
        .content.decode()
    )

    assert 'id="note-locked"' in html
    assert 'id="note-form"' not in html
    assert 'id="vitals-form"' not in html
    assert 'id="sign-form"' not in html
    assert "Sign addendum" in html


def test_autosave_answers_htmx_with_the_saved_time(login, chart):
    response = login("clinician").post(
        reverse("charting:note_autosave", args=[chart.encounter.pk]),
        {"subjective": "Cough for a week.\nNo fever.", "plan": "Fluids"},
        headers={"HX-Request": "true"},
    )

    note = ClinicalNote.objects.get(encounter=chart.encounter)
    assert response.status_code == 200
    assert "Saved" in response.content.decode()
    assert note.subjective == "Cough for a week.\nNo fever."
    assert note.plan == "Fluids"


def test_autosave_only_changes_the_fields_sent(login, chart):
    login("clinician").post(
        reverse("charting:note_autosave", args=[chart.encounter.pk]),
        {"plan": "Rest"},
        headers={"HX-Request": "true"},
    )

    note = ClinicalNote.objects.get(encounter=chart.encounter)
    assert note.subjective == "Cough for a week."
    assert note.plan == "Rest"


def test_autosave_on_a_signed_note_says_it_was_not_saved(login, chart):
    response = login("clinician").post(
        reverse("charting:note_autosave", args=[chart.signed.pk]),
        {"plan": "changed"},
        headers={"HX-Request": "true"},
    )

    assert "Not saved" in response.content.decode()
    assert ClinicalNote.objects.get(encounter=chart.signed).plan == "Lisinopril"


def test_applying_a_template_keeps_what_was_typed(login, chart):
    template = NoteTemplateFactory()

    response = login("clinician").post(
        reverse("charting:note_template", args=[chart.encounter.pk]),
        {"template": template.pk, "subjective": "Typed just now, not autosaved yet."},
    )

    note = ClinicalNote.objects.get(encounter=chart.encounter)
    assert response.status_code == 302
    assert note.subjective == "Typed just now, not autosaved yet."
    assert note.plan == template.plan


def test_vitals_form_shows_the_message_for_an_impossible_value(login, chart):
    response = login("clinician").post(
        reverse("charting:vitals_add", args=[chart.encounter.pk]),
        {
            "systolic_bp": "120",
            "diastolic_bp": "80",
            "temperature": "986",
            "temperature_unit": "F",
            "height_unit": "in",
            "weight_unit": "lb",
        },
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Temperature 986 °F is not physiologically possible" in html
    assert not Vitals.objects.filter(encounter=chart.encounter).exists()


def test_vitals_form_records_and_flags(login, chart):
    response = login("clinician").post(
        reverse("charting:vitals_add", args=[chart.encounter.pk]),
        {
            "systolic_bp": "172",
            "diastolic_bp": "104",
            "pulse": "72",
            "temperature_unit": "F",
            "height_unit": "in",
            "weight_unit": "lb",
        },
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert "172/104 ↑" in html
    assert "vital-flag" in html
    assert Vitals.objects.get(encounter=chart.encounter).systolic_bp == 172


def test_vitals_form_refuses_text_with_a_field_message(login, chart):
    response = login("clinician").post(
        reverse("charting:vitals_add", args=[chart.encounter.pk]),
        {"pulse": "fast", "temperature_unit": "F", "height_unit": "in", "weight_unit": "lb"},
        headers={"HX-Request": "true"},
    )

    assert "Enter a whole number." in response.content.decode()
    assert not Vitals.objects.filter(encounter=chart.encounter).exists()


def test_diagnosis_search_offers_billable_codes_to_add(login, chart):
    html = (
        login("clinician")
        .get(reverse("charting:diagnosis_search", args=[chart.encounter.pk]), {"q": "hypertension"})
        .content.decode()
    )

    category = (
        login("clinician")
        .get(reverse("charting:diagnosis_search", args=[chart.encounter.pk]), {"q": "I11"})
        .content.decode()
    )

    assert html.index("I10") < html.index("K76.6")  # the everyday code first
    assert 'value="I10"' in html
    assert "not billable" in category
    assert 'value="I11"' not in category


def test_adding_a_diagnosis_returns_the_coding_partial(login, chart):
    response = login("clinician").post(
        reverse("charting:diagnosis_add", args=[chart.encounter.pk]),
        {"code": "I10"},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert html.startswith('<div id="coding">')
    assert "Essential (primary) hypertension" in html
    assert list(chart.encounter.diagnoses.values_list("code_id", flat=True)) == ["J06.9", "I10"]


def test_adding_a_category_shows_why_not(login, chart):
    response = login("clinician").post(
        reverse("charting:diagnosis_add", args=[chart.encounter.pk]),
        {"code": "E11"},
        headers={"HX-Request": "true"},
    )

    assert "is a category, not a billable code" in response.content.decode()
    assert chart.encounter.diagnoses.count() == 1


def test_procedure_form_error_is_shown(login, chart, office_visit):
    response = login("clinician").post(
        reverse("charting:procedure_add", args=[chart.encounter.pk]),
        {"fee_schedule_entry": office_visit.pk, "units": "1", "modifier_1": "!!"},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert "This field is required." in html or "Choose the diagnosis" in html
    assert chart.encounter.procedures.count() == 1


def test_procedure_added_with_modifiers(login, chart, office_visit):
    login("clinician").post(
        reverse("charting:procedure_add", args=[chart.encounter.pk]),
        {
            "fee_schedule_entry": office_visit.pk,
            "units": "1",
            "modifier_1": "25",
            "diagnosis_pointers": ["1"],
        },
        headers={"HX-Request": "true"},
    )

    assert chart.encounter.procedures.order_by("pk").last().modifiers == ["25"]


def test_sign_without_assessment_and_plan_says_what_is_missing(login, chart):
    response = login("clinician").post(
        reverse("charting:encounter_sign", args=[chart.encounter.pk]), follow=True
    )

    assert "needs an assessment and a plan" in response.content.decode()
    chart.encounter.refresh_from_db()
    assert not chart.encounter.is_signed


def test_adding_an_addendum_shows_it_under_the_note(login, chart):
    client = login("clinician")

    response = client.post(
        reverse("charting:addendum_add", args=[chart.signed.pk]),
        {"text": "Potassium normal."},
        follow=True,
    )

    html = response.content.decode()
    assert "Addendum signed" in html
    assert html.index("Potassium normal.") > html.index('id="note-card"')


def test_start_from_my_day_moves_the_appointment_in_room(login, chart):
    response = login("clinician").post(
        reverse("charting:encounter_start", args=[chart.appointment.pk])
    )

    encounter = Encounter.objects.get(appointment=chart.appointment)
    chart.appointment.refresh_from_db()
    assert response.url == encounter.get_absolute_url()
    assert chart.appointment.status == AppointmentStatus.IN_ROOM


def test_starting_a_booked_appointment_explains_why_not(login, chart):
    Appointment.objects.filter(pk=chart.appointment.pk).update(status=AppointmentStatus.BOOKED)

    response = login("clinician").post(
        reverse("charting:encounter_start", args=[chart.appointment.pk]), follow=True
    )

    assert "has not been checked in yet" in response.content.decode()
    assert not Encounter.objects.filter(appointment=chart.appointment).exists()


def test_walk_in_starts_an_encounter(login, chart):
    response = login("clinician").post(
        reverse("charting:walk_in", args=[chart.patient.pk]), {"chief_complaint": "Rash"}
    )

    encounter = Encounter.objects.get(chief_complaint="Rash")
    assert response.url == encounter.get_absolute_url()


def test_history_tab_lists_every_change_before_signing(login, chart):
    html = (
        login("clinician")
        .get(reverse("charting:encounter_history", args=[chart.signed.pk]))
        .content.decode()
    )

    assert "Assessment" in html
    assert "Hypertension" in html
    assert "Diagnosis I10" in html
    assert "Status" in html
    assert "Signed" in html


def test_unsigned_list_shows_the_clinicians_open_encounters(login, chart):
    html = login("clinician").get(reverse("charting:unsigned")).content.decode()

    assert chart.encounter.get_absolute_url() in html
    assert chart.signed.get_absolute_url() not in html


def test_problem_added_from_a_code_search(login, chart):
    client = login("clinician")

    search = client.get(reverse("charting:icd10_search"), {"q": "diabetes type 2"}).content.decode()
    response = client.post(reverse("charting:problems", args=[chart.patient.pk]), {"code": "e119"})

    assert 'data-fill-code="E11.9"' in search
    assert response.status_code == 302
    assert Problem.objects.filter(patient=chart.patient, code_id="E11.9").exists()


def test_problem_form_shows_a_non_billable_code_error(login, chart):
    response = login("clinician").post(
        reverse("charting:problems", args=[chart.patient.pk]), {"code": "I11"}
    )

    assert "is a category, not a billable code" in response.content.decode()


def test_resolving_and_marking_entered_in_error(login, chart):
    client = login("clinician")

    client.post(
        reverse("charting:problem_status", args=[chart.patient.pk, chart.problem.pk]),
        {"status": "inactive"},
    )
    client.post(
        reverse("charting:allergy_status", args=[chart.patient.pk, chart.allergy.pk]),
        {"status": "entered_in_error"},
    )

    chart.problem.refresh_from_db()
    chart.allergy.refresh_from_db()
    assert chart.problem.status == ChartItemStatus.INACTIVE
    assert chart.problem.resolved_date is not None
    assert chart.allergy.status == ChartItemStatus.ENTERED_IN_ERROR
    assert Allergy.objects.filter(pk=chart.allergy.pk).exists()


def test_fee_schedule_import_page_reports_bad_rows(client, clinic_admin, db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(clinic_admin)
    upload = SimpleUploadedFile(
        "fees.csv",
        b"code_system,code,description,price,active\nCPT,99213,Office visit,110.00,yes\n"
        b"CPT,ABC,Broken,10,yes\n",
        content_type="text/csv",
    )

    response = client.post(reverse("charting:fee_schedule_import"), {"file": upload})

    html = response.content.decode()
    assert "Nothing was imported" in html
    assert "<td>3</td>" in html
    assert not FeeScheduleEntry.objects.exists()


def test_fee_schedule_import_page_imports_a_good_file(client, clinic_admin, db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(clinic_admin)
    upload = SimpleUploadedFile(
        "fees.csv",
        b"code_system,code,description,price,active\nCPT,99213,Office visit,110.00,yes\n",
        content_type="text/csv",
    )

    response = client.post(reverse("charting:fee_schedule_import"), {"file": upload}, follow=True)

    assert "1 added" in response.content.decode()
    assert FeeScheduleEntry.objects.get().price == 110


def test_fee_schedule_import_refuses_a_file_that_is_not_text(client, clinic_admin, db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(clinic_admin)
    upload = SimpleUploadedFile("fees.csv", b"\xff\xfe\x00\x00binary", content_type="text/csv")

    response = client.post(reverse("charting:fee_schedule_import"), {"file": upload})

    assert "UTF-8" in response.content.decode()


# --- Query counts -----------------------------------------------------------------------------


def _past_encounters(patient, provider, count: int, office_visit) -> None:
    """Signed encounters with vitals, two diagnoses and a procedure each, written directly."""
    import datetime

    from django.utils import timezone

    today = timezone.localdate()
    encounters = Encounter.objects.bulk_create(
        [
            Encounter(
                patient=patient,
                provider=provider,
                date_of_service=today - datetime.timedelta(days=7 * (n + 1)),
            )
            for n in range(count)
        ]
    )
    ClinicalNote.objects.bulk_create(
        [ClinicalNote(encounter=e, assessment="Stable", plan="Continue") for e in encounters]
    )
    Vitals.objects.bulk_create(
        [
            Vitals(
                encounter=e,
                taken_at=timezone.now() - datetime.timedelta(days=7 * (n + 1)),
                systolic_bp=120 + n % 30,
                diastolic_bp=80,
                weight_kg=80 + n % 5,
            )
            for n, e in enumerate(encounters)
        ]
    )
    EncounterDiagnosis.objects.bulk_create(
        [
            EncounterDiagnosis(encounter=e, code_id=code, rank=rank)
            for e in encounters
            for rank, code in [(1, "I10"), (2, "E78.5")]
        ]
    )
    ProcedureLine.objects.bulk_create(
        [
            ProcedureLine(encounter=e, fee_schedule_entry=office_visit, diagnosis_pointers=[1, 2])
            for e in encounters
        ]
    )
    signer = provider.user
    from django.utils import timezone as tz

    Encounter.objects.filter(pk__in=[e.pk for e in encounters]).update(
        status="signed", signed_at=tz.now(), signed_by=signer
    )


CHART_PAGE_QUERIES = 24


def test_patient_chart_page_query_count_is_constant_up_to_200_encounters(
    client, clinician, patient, codes, office_visit, django_assert_max_num_queries
):
    services.allergy_add(patient=patient, by=clinician, data={"substance": "Penicillin"})
    services.problem_add(patient=patient, by=clinician, data={"code": "I10"})
    client.force_login(clinician)
    url = patient.get_absolute_url()
    _past_encounters(patient, clinician.provider, 1, office_visit)
    client.get(url)  # warm caches (content types, permissions)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    _past_encounters(patient, clinician.provider, 199, office_visit)

    with django_assert_max_num_queries(CHART_PAGE_QUERIES):
        response = client.get(url)
    with CaptureQueriesContext(connection) as many:
        client.get(url)

    assert Encounter.objects.filter(patient=patient).count() == 200
    assert response.context["encounters"].paginator.num_pages == 20
    assert len(many) == len(one)
    print(f"\npatient chart page with 200 encounters: {len(many)} queries")


ENCOUNTER_PAGE_QUERIES = 20


def test_encounter_page_query_count_does_not_grow_with_its_contents(
    client, clinician, encounter, office_visit, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(clinician)
    url = encounter.get_absolute_url()
    services.diagnosis_add(encounter=encounter, code="I10", by=clinician)
    services.procedure_add(
        encounter=encounter, fee_schedule_entry=office_visit, diagnosis_pointers=[1], by=clinician
    )
    services.vitals_record(encounter=encounter, by=clinician, pulse=60)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for code in ["E78.5", "E11.9", "J06.9", "R05.9"]:
        services.diagnosis_add(encounter=encounter, code=code, by=clinician)
    for rank in range(2, 6):
        services.procedure_add(
            encounter=encounter,
            fee_schedule_entry=office_visit,
            diagnosis_pointers=[rank],
            by=clinician,
        )
        services.vitals_record(encounter=encounter, by=clinician, pulse=60 + rank)
    services.note_save(encounter=encounter, by=clinician, data={"plan": "x" * 5000})

    with django_assert_max_num_queries(ENCOUNTER_PAGE_QUERIES):
        client.get(url)
    with CaptureQueriesContext(connection) as full:
        client.get(url)

    assert len(full) == len(small)
    print(f"\nencounter page: {len(full)} queries")


# --- Settings in the admin ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:charting_notetemplate_add",
        "admin:charting_notetemplate_changelist",
        "admin:charting_feescheduleentry_add",
    ],
)
def test_clinic_admin_manages_note_templates_and_the_fee_schedule_in_the_admin(
    client, clinic_admin, url_name
):
    client.force_login(clinic_admin)

    assert client.get(reverse(url_name)).status_code == 200


def test_clinic_admin_adds_a_note_template_that_clinicians_can_pick(
    client, clinic_admin, login, chart
):
    client.force_login(clinic_admin)
    client.post(
        reverse("admin:charting_notetemplate_add"),
        {"name": "Knee pain", "subjective": "Knee pain.", "plan": "Ice.", "active": "on"},
    )

    html = (
        login("clinician")
        .get(reverse("charting:encounter_detail", args=[chart.encounter.pk]))
        .content.decode()
    )

    assert "Knee pain" in html


def test_clinic_admin_cannot_delete_a_fee_schedule_entry(client, clinic_admin, office_visit):
    client.force_login(clinic_admin)

    response = client.get(reverse("admin:charting_feescheduleentry_delete", args=[office_visit.pk]))

    assert response.status_code == 403
