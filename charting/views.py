"""Charting pages. Thin: each checks the role (and, for writes, that the encounter is the
clinician's own), calls a service, and renders a page or an htmx partial."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from charting import selectors, services
from charting.forms import (
    AddendumForm,
    AllergyForm,
    ChartItemStatusForm,
    DiagnosisAddForm,
    DiagnosisMoveForm,
    FeeScheduleImportForm,
    MedicationForm,
    NoteForm,
    ProblemForm,
    ProcedureForm,
    TemplateChoiceForm,
    VitalsForm,
    WalkInForm,
)
from charting.models import (
    Allergy,
    Encounter,
    EncounterDiagnosis,
    Medication,
    NoteTemplate,
    Problem,
    ProcedureLine,
)
from emr.audit import access_log_write
from emr.models import AccessAction, DocumentKind, Patient
from emr.permissions import require_perms
from emr.services import document_request
from emr.viewhelpers import form_error, paginate
from scheduling.models import Appointment


def _own_provider(user):
    return getattr(user, "provider", None)


def _get_encounter_for_user(request: HttpRequest, pk: int, *, edit: bool = False) -> Encounter:
    """The encounter, if the user may see it; for `edit`, only the encounter's own provider."""
    encounter = get_object_or_404(
        Encounter.objects.select_related("patient", "provider__user"), pk=pk
    )
    if edit and encounter.provider.user_id != request.user.pk:
        raise PermissionDenied
    return encounter


def _is_own(request: HttpRequest, encounter: Encounter) -> bool:
    return encounter.provider.user_id == request.user.pk


# --- The encounter page ---------------------------------------------------------------------


def _encounter_context(request: HttpRequest, encounter: Encounter, **extra) -> dict:
    user = request.user
    editable = not encounter.is_signed and _is_own(request, encounter)
    diagnoses = list(encounter.diagnoses.all())
    note = selectors.note_of(encounter)
    context = {
        "encounter": encounter,
        "patient": encounter.patient,
        "note": note,
        "vitals_list": list(encounter.vitals.all()),
        "diagnoses": diagnoses,
        "procedures": list(encounter.procedures.all()),
        "addenda": list(encounter.addenda.all()),
        "editable": editable,
        "can_see_note": user.has_perm("charting.view_clinicalnote"),
        "can_sign": editable and user.has_perm("charting.sign_encounter"),
        "can_add_addendum": encounter.is_signed
        and _is_own(request, encounter)
        and user.has_perm("charting.add_addendum"),
    }
    if editable:
        context.setdefault("note_form", NoteForm(initial=_note_initial(encounter, note)))
        context.setdefault("template_form", TemplateChoiceForm())
        context.setdefault("vitals_form", VitalsForm())
        context.setdefault("diagnosis_form", DiagnosisAddForm())
        context.setdefault("procedure_form", ProcedureForm(diagnoses=diagnoses))
    if context["can_add_addendum"]:
        context.setdefault("addendum_form", AddendumForm())
    context.update(extra)
    return context


def _note_initial(encounter: Encounter, note) -> dict:
    initial = {"chief_complaint": encounter.chief_complaint}
    if note is not None:
        initial.update(
            subjective=note.subjective,
            objective=note.objective,
            assessment=note.assessment,
            plan=note.plan,
        )
    return initial


def _reload(pk: int) -> Encounter:
    return selectors.encounter_get_for_page(pk=pk)


@require_perms("charting.view_encounter")
@require_GET
def encounter_detail(request, pk: int):
    encounter = get_object_or_404(selectors.encounter_queryset_for_page(), pk=pk)
    can_see_note = request.user.has_perm("charting.view_clinicalnote")
    access_log_write(
        request=request,
        action=AccessAction.VIEW,
        patient=encounter.patient,
        obj=encounter,
        description="encounter note" if can_see_note else "encounter coding",
    )
    context = _encounter_context(request, encounter)
    if context["editable"]:
        context["templates_available"] = selectors.note_template_list_for_picker().exists()
    return render(request, "charting/encounter_detail.html", context)


@require_perms("charting.view_encounter", "charting.view_clinicalnote")
@require_GET
def encounter_history(request, pk: int):
    encounter = _get_encounter_for_user(request, pk)
    access_log_write(
        request=request,
        action=AccessAction.VIEW,
        patient=encounter.patient,
        obj=encounter,
        description="encounter history",
    )
    entries = selectors.encounter_history_entries(encounter=encounter)
    return render(
        request,
        "charting/encounter_history.html",
        {
            "encounter": encounter,
            "patient": encounter.patient,
            "page": paginate(request, entries, 50),
        },
    )


@require_perms("charting.add_encounter")
@require_GET
def unsigned_list(request):
    provider = _own_provider(request.user)
    if provider is None:
        raise PermissionDenied
    encounters = selectors.encounter_list_for_provider_unsigned(provider=provider)
    return render(request, "charting/unsigned.html", {"page": paginate(request, encounters)})


# --- Starting an encounter ------------------------------------------------------------------


@require_perms("charting.add_encounter")
@require_POST
def encounter_start(request, appointment_pk: int):
    """One click from "my day": open (or reopen) the checked-in appointment's encounter."""
    appointment = get_object_or_404(
        Appointment.objects.select_related("provider"), pk=appointment_pk
    )
    provider = _own_provider(request.user)
    if provider is None or appointment.provider_id != provider.pk:
        raise PermissionDenied
    try:
        encounter = services.encounter_start(
            provider=provider, appointment=appointment, by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("scheduling:my_day")
    return redirect(encounter)


@require_perms("charting.add_encounter", "emr.view_patient")
@require_http_methods(["GET", "POST"])
def encounter_walk_in(request, patient_pk: int):
    patient = get_object_or_404(Patient, pk=patient_pk)
    provider = _own_provider(request.user)
    if provider is None:
        raise PermissionDenied
    form = WalkInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            encounter = services.encounter_start(
                provider=provider,
                patient=patient,
                by=request.user,
                chief_complaint=form.cleaned_data["chief_complaint"],
            )
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(request, "Walk-in visit started.")
            return redirect(encounter)
    return render(request, "charting/walk_in.html", {"form": form, "patient": patient})


# --- Vitals ---------------------------------------------------------------------------------


def _partial_or_page(request, encounter_pk: int, template: str, **extra) -> HttpResponse:
    encounter = _reload(encounter_pk)
    if request.htmx:
        return render(request, template, _encounter_context(request, encounter, **extra))
    return redirect(encounter)


@require_perms("charting.add_vitals")
@require_POST
def vitals_add(request, pk: int):
    encounter = _get_encounter_for_user(request, pk, edit=True)
    form = VitalsForm(request.POST)
    if form.is_valid():
        try:
            services.vitals_record(encounter=encounter, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_error(form, error)
        else:
            form = VitalsForm(
                initial={
                    name: form.cleaned_data[name]
                    for name in ["temperature_unit", "height_unit", "weight_unit"]
                }
            )
            if not request.htmx:
                messages.success(request, "Vitals recorded.")
    if form.errors and not request.htmx:
        messages.error(
            request, " ".join(message for errors in form.errors.values() for message in errors)
        )
    return _partial_or_page(request, pk, "charting/_vitals.html", vitals_form=form)


# --- The note -------------------------------------------------------------------------------


@require_perms("charting.change_clinicalnote")
@require_POST
def note_autosave(request, pk: int):
    encounter = _get_encounter_for_user(request, pk, edit=True)
    form = NoteForm(request.POST)
    error = ""
    if form.is_valid():
        data = {name: value for name, value in form.cleaned_data.items() if name in request.POST}
        try:
            services.note_save(encounter=encounter, by=request.user, data=data)
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = " ".join(message for errors in form.errors.values() for message in errors)
    if request.htmx:
        return render(
            request,
            "charting/_note_status.html",
            {"error": error, "saved_at": None if error else timezone.localtime()},
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "Note saved.")
    return redirect(encounter)


@require_perms("charting.change_clinicalnote")
@require_POST
def note_template(request, pk: int):
    encounter = _get_encounter_for_user(request, pk, edit=True)
    form = TemplateChoiceForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a template.")
        return redirect(encounter)
    # Whatever was typed but not yet autosaved is saved first, so the template cannot hide it.
    note_form = NoteForm(request.POST)
    try:
        if note_form.is_valid():
            data = {k: v for k, v in note_form.cleaned_data.items() if k in request.POST}
            if data:
                services.note_save(encounter=encounter, by=request.user, data=data)
        template: NoteTemplate = form.cleaned_data["template"]
        services.note_apply_template(encounter=encounter, template=template, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"Template “{template.name}” applied; sections you had written were kept."
        )
    return redirect(encounter)


# --- Coding ---------------------------------------------------------------------------------


def _coding_response(request, pk: int, error: str = "", **extra) -> HttpResponse:
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("charting:encounter_detail", pk=pk)
    return render(
        request,
        "charting/_coding.html",
        _encounter_context(request, _reload(pk), coding_error=error, **extra),
    )


@require_perms("charting.add_encounterdiagnosis")
@require_GET
def diagnosis_search(request, pk: int):
    encounter = _get_encounter_for_user(request, pk, edit=True)
    query = request.GET.get("q", "").strip()[:100]
    results = selectors.diagnosis_code_search(query=query) if len(query) >= 2 else []
    return render(
        request,
        "charting/_diagnosis_results.html",
        {"encounter": encounter, "results": results, "query": query},
    )


@require_perms("charting.add_encounterdiagnosis")
@require_POST
def diagnosis_add(request, pk: int):
    encounter = _get_encounter_for_user(request, pk, edit=True)
    form = DiagnosisAddForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.diagnosis_add(
                encounter=encounter, code=form.cleaned_data["code"], by=request.user
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = "Choose a code to add."
    return _coding_response(request, pk, error)


def _get_diagnosis(encounter: Encounter, diagnosis_pk: int) -> EncounterDiagnosis:
    return get_object_or_404(EncounterDiagnosis, pk=diagnosis_pk, encounter=encounter)


@require_perms("charting.change_encounterdiagnosis")
@require_POST
def diagnosis_remove(request, pk: int, diagnosis_pk: int):
    encounter = _get_encounter_for_user(request, pk, edit=True)
    error = ""
    try:
        services.diagnosis_remove(
            diagnosis=_get_diagnosis(encounter, diagnosis_pk), by=request.user
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
    return _coding_response(request, pk, error)


@require_perms("charting.change_encounterdiagnosis")
@require_POST
def diagnosis_move(request, pk: int, diagnosis_pk: int):
    encounter = _get_encounter_for_user(request, pk, edit=True)
    form = DiagnosisMoveForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.diagnosis_move(
                diagnosis=_get_diagnosis(encounter, diagnosis_pk),
                direction=form.cleaned_data["direction"],
                by=request.user,
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = "Move up or down."
    return _coding_response(request, pk, error)


@require_perms("charting.add_procedureline")
@require_POST
def procedure_add(request, pk: int):
    encounter = _get_encounter_for_user(request, pk, edit=True)
    diagnoses = list(encounter.diagnoses.order_by("rank"))
    form = ProcedureForm(request.POST, diagnoses=diagnoses)
    error = ""
    if form.is_valid():
        try:
            services.procedure_add(
                encounter=encounter,
                fee_schedule_entry=form.cleaned_data["fee_schedule_entry"],
                units=form.cleaned_data["units"],
                modifiers=form.modifiers,
                diagnosis_pointers=form.cleaned_data["diagnosis_pointers"],
                by=request.user,
            )
        except ValidationError as exc:
            form_error(form, exc)
            error = " ".join(exc.messages)
        else:
            return _coding_response(request, pk)
    else:
        error = " ".join(message for errors in form.errors.values() for message in errors)
    return _coding_response(request, pk, error, procedure_form=form)


@require_perms("charting.change_procedureline")
@require_POST
def procedure_remove(request, pk: int, procedure_pk: int):
    encounter = _get_encounter_for_user(request, pk, edit=True)
    procedure = get_object_or_404(ProcedureLine, pk=procedure_pk, encounter=encounter)
    error = ""
    try:
        services.procedure_remove(procedure=procedure, by=request.user)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    return _coding_response(request, pk, error)


# --- Signing, addenda, visit summary ---------------------------------------------------------


@require_perms("charting.sign_encounter")
@require_POST
def encounter_sign(request, pk: int):
    encounter = _get_encounter_for_user(request, pk, edit=True)
    try:
        services.encounter_sign(encounter=encounter, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except IntegrityError as error:
        if not services.is_signed_encounter_error(error):
            raise
        messages.error(request, services.SIGNED_MESSAGE)
    else:
        messages.success(
            request, "Encounter signed. The note is now locked; corrections are addenda."
        )
    return redirect(encounter)


@require_perms("charting.add_addendum")
@require_POST
def addendum_add(request, pk: int):
    encounter = _get_encounter_for_user(request, pk, edit=True)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.addendum_add(
                encounter=encounter, by=request.user, text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Addendum signed and added to the note.")
    else:
        messages.error(request, "Write the addendum before signing it.")
    return redirect(encounter)


@require_perms("charting.view_encounter", "charting.view_clinicalnote")
@require_POST
def visit_summary_request(request, pk: int):
    encounter = _get_encounter_for_user(request, pk)
    document = document_request(
        kind=DocumentKind.VISIT_SUMMARY,
        owner=encounter,
        patient=encounter.patient,
        title=f"Visit summary {encounter.date_of_service:%m/%d/%Y}: "
        f"{encounter.patient.full_name} ({encounter.patient.mrn})",
        requested_by=request.user,
    )
    return redirect(document)


# --- Allergies, problems, medications ---------------------------------------------------------

CHART_LISTS = {
    "allergies": {
        "model": Allergy,
        "form": AllergyForm,
        "title": "Allergies",
        "add": services.allergy_add,
        "update": lambda item, by, data: services.allergy_update(allergy=item, by=by, data=data),
        "list": lambda patient: selectors.allergy_list_for_patient(patient=patient),
        "perm": "allergy",
        "status_url": "charting:allergy_status",
    },
    "problems": {
        "model": Problem,
        "form": ProblemForm,
        "title": "Problem list",
        "add": services.problem_add,
        "update": lambda item, by, data: services.problem_update(problem=item, by=by, data=data),
        "list": lambda patient: selectors.problem_list_for_patient(patient=patient),
        "perm": "problem",
        "status_url": "charting:problem_status",
    },
    "medications": {
        "model": Medication,
        "form": MedicationForm,
        "title": "Medications",
        "add": services.medication_add,
        "update": lambda item, by, data: services.medication_update(
            medication=item, by=by, data=data
        ),
        "list": lambda patient: selectors.medication_list_for_patient(patient=patient),
        "perm": "medication",
        "status_url": "charting:medication_status",
    },
}


def _chart_list_view(request, patient_pk: int, kind: str):
    spec = CHART_LISTS[kind]
    if not request.user.has_perms([f"charting.view_{spec['perm']}", "emr.view_patient"]):
        raise PermissionDenied
    patient = get_object_or_404(Patient, pk=patient_pk)
    can_edit = request.user.has_perm(f"charting.add_{spec['perm']}")
    form = spec["form"](request.POST or None) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                spec["add"](patient=patient, by=request.user, data=form.cleaned_data)
            except ValidationError as error:
                form_error(form, error)
            else:
                messages.success(request, f"Added to {spec['title'].lower()}.")
                return redirect(f"charting:{kind}", patient_pk=patient.pk)
    access_log_write(
        request=request,
        action=AccessAction.VIEW,
        patient=patient,
        obj=patient,
        description=spec["title"].lower(),
    )
    return render(
        request,
        "charting/chart_list.html",
        {
            "patient": patient,
            "kind": kind,
            "title": spec["title"],
            "form": form,
            "page": paginate(request, spec["list"](patient)),
            "status_url": spec["status_url"],
        },
    )


def _chart_item_status(request, patient_pk: int, item_pk: int, kind: str):
    spec = CHART_LISTS[kind]
    if not request.user.has_perm(f"charting.change_{spec['perm']}"):
        raise PermissionDenied
    item = get_object_or_404(spec["model"], pk=item_pk, patient_id=patient_pk)
    form = ChartItemStatusForm(request.POST)
    if form.is_valid():
        try:
            spec["update"](item, request.user, {"status": form.cleaned_data["status"]})
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, f"{item} is now {form.cleaned_data['status'].replace('_', ' ')}."
            )
    else:
        messages.error(request, "Choose a status.")
    return redirect(f"charting:{kind}", patient_pk=patient_pk)


@require_perms("charting.view_allergy")
@require_http_methods(["GET", "POST"])
def allergy_list(request, patient_pk: int):
    return _chart_list_view(request, patient_pk, "allergies")


@require_perms("charting.change_allergy")
@require_POST
def allergy_status(request, patient_pk: int, item_pk: int):
    return _chart_item_status(request, patient_pk, item_pk, "allergies")


@require_perms("charting.view_problem")
@require_http_methods(["GET", "POST"])
def problem_list(request, patient_pk: int):
    return _chart_list_view(request, patient_pk, "problems")


@require_perms("charting.change_problem")
@require_POST
def problem_status(request, patient_pk: int, item_pk: int):
    return _chart_item_status(request, patient_pk, item_pk, "problems")


@require_perms("charting.view_medication")
@require_http_methods(["GET", "POST"])
def medication_list(request, patient_pk: int):
    return _chart_list_view(request, patient_pk, "medications")


@require_perms("charting.change_medication")
@require_POST
def medication_status(request, patient_pk: int, item_pk: int):
    return _chart_item_status(request, patient_pk, item_pk, "medications")


@require_perms("charting.view_diagnosiscode")
@require_GET
def icd10_search(request):
    """Code search for the problem list: results fill the code field."""
    query = request.GET.get("q", "").strip()[:100]
    results = (
        selectors.diagnosis_code_search(query=query, billable_only=True) if len(query) >= 2 else []
    )
    return render(request, "charting/_icd10_results.html", {"results": results, "query": query})


# --- Fee schedule ---------------------------------------------------------------------------


@require_perms("charting.view_feescheduleentry")
@require_GET
def fee_schedule(request):
    entries = selectors.fee_schedule_list_for_page()
    return render(request, "charting/fee_schedule.html", {"page": paginate(request, entries, 50)})


@require_perms("charting.add_feescheduleentry", "charting.change_feescheduleentry")
@require_http_methods(["GET", "POST"])
def fee_schedule_import(request):
    form = FeeScheduleImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = services.fee_schedule_import(csv_text=form.cleaned_data["file"], by=request.user)
        if result.ok:
            messages.success(
                request,
                f"Fee schedule imported: {result.created} added, {result.updated} updated.",
            )
            return redirect("charting:fee_schedule")
    return render(request, "charting/fee_schedule_import.html", {"form": form, "result": result})
