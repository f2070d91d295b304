import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from emr import selectors, services
from emr.audit import access_log_write
from emr.documents import permission_for
from emr.forms import (
    AccessLogFilterForm,
    CoverageForm,
    DeactivateForm,
    PatientForm,
    PatientSearchForm,
)
from emr.models import (
    AccessAction,
    AccessLog,
    Coverage,
    Document,
    DocumentKind,
    DocumentStatus,
    Patient,
    Role,
    User,
)
from emr.permissions import require_perms
from emr.viewhelpers import form_error, paginate


@login_required
def home(request):
    role = request.user.primary_role
    # Each role starts on its work list (by URL name: emr imports no app above it).
    if role == Role.FRONT_DESK:
        return redirect("scheduling:today")
    if role == Role.CLINICIAN:
        return redirect("scheduling:my_day")
    if role == Role.BILLING:
        return redirect("billing:queue")
    context = {"role": role}
    if role == Role.CLINIC_ADMIN:
        context["role_counts"] = (
            User.objects.filter(is_active=True)
            .values("groups__name")
            .annotate(count=Count("pk"))
            .order_by("groups__name")
        )
        context["recent_access"] = AccessLog.objects.select_related("user", "patient")[:10]
    return render(request, "emr/home.html", context)


@require_perms("emr.view_patient")
def patient_list(request):
    form = PatientSearchForm(request.GET or None)
    query, include_inactive = "", False
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
        include_inactive = form.cleaned_data["include_inactive"]
    patients = selectors.patient_list_for_search(query=query, include_inactive=include_inactive)
    context = {"form": form, "query": query, "page": paginate(request, patients)}
    template = "emr/patients/_results.html" if request.htmx else "emr/patients/list.html"
    return render(request, template, context)


@require_perms("emr.add_patient")
@require_http_methods(["GET", "POST"])
def patient_register(request):
    duplicates = None
    form = PatientForm(
        request.POST or None, show_duplicate_confirmation="confirm_new_patient" in request.POST
    )
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_register(
                data=form.cleaned_data, allow_duplicate=form.cleaned_data["confirm_new_patient"]
            )
        except ValidationError as error:
            if getattr(error, "code", None) == "possible_duplicate":
                duplicates = services.patient_possible_duplicates(
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                    date_of_birth=form.cleaned_data["date_of_birth"],
                )
                form = PatientForm(request.POST, show_duplicate_confirmation=True)
                form.is_valid()
            form_error(form, error)
        else:
            messages.success(request, f"Registered {patient.full_name}, MRN {patient.mrn}.")
            return redirect(patient)
    return render(request, "emr/patients/form.html", {"form": form, "duplicates": duplicates})


@require_perms("emr.view_patient")
def patient_detail(request, pk: int):
    patient = get_object_or_404(Patient.objects.all(), pk=pk)
    patient = selectors.patient_get_for_chart(pk=patient.pk)
    access_log_write(
        request=request,
        action=AccessAction.VIEW,
        patient=patient,
        obj=patient,
        description="patient chart",
    )
    documents = patient.documents.filter(kind=DocumentKind.FACE_SHEET).select_related(
        "requested_by"
    )[:5]
    return render(
        request,
        "emr/patients/detail.html",
        {"patient": patient, "coverages": patient.coverages.all(), "documents": documents},
    )


@require_perms("emr.change_patient")
@require_http_methods(["GET", "POST"])
def patient_edit(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    form = PatientForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(patient=patient, data=form.cleaned_data)
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(request, "Demographics saved.")
            return redirect(patient)
    return render(request, "emr/patients/form.html", {"form": form, "patient": patient})


@require_perms("emr.deactivate_patient")
@require_http_methods(["GET", "POST"])
def patient_deactivate(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    form = DeactivateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.patient_set_active(
            patient=patient, active=False, reason=form.cleaned_data["reason"]
        )
        messages.success(request, f"{patient.full_name} is now inactive. The record is kept.")
        return redirect(patient)
    return render(request, "emr/patients/deactivate.html", {"form": form, "patient": patient})


@require_perms("emr.deactivate_patient")
@require_POST
def patient_reactivate(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    services.patient_set_active(patient=patient, active=True)
    messages.success(request, f"{patient.full_name} is active again.")
    return redirect(patient)


@require_perms("emr.view_patient", "emr.view_patient_history")
def patient_history(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    access_log_write(
        request=request,
        action=AccessAction.VIEW,
        patient=patient,
        obj=patient,
        description="patient history",
    )
    entries = selectors.patient_history_entries(patient=patient)
    return render(
        request,
        "emr/patients/history.html",
        {"patient": patient, "page": paginate(request, entries, 50)},
    )


@require_perms("emr.add_coverage")
@require_http_methods(["GET", "POST"])
def coverage_add(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    form = CoverageForm(request.POST or None, initial={"effective_from": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.coverage_add(patient=patient, data=form.cleaned_data)
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(request, "Coverage added.")
            return redirect(patient)
    return render(request, "emr/patients/coverage_form.html", {"form": form, "patient": patient})


def _get_coverage(pk: int, coverage_pk: int) -> Coverage:
    return get_object_or_404(
        Coverage.objects.select_related("patient", "payer"), pk=coverage_pk, patient_id=pk
    )


@require_perms("emr.change_coverage")
@require_http_methods(["GET", "POST"])
def coverage_edit(request, pk: int, coverage_pk: int):
    coverage = _get_coverage(pk, coverage_pk)
    form = CoverageForm(request.POST or None, instance=coverage)
    if request.method == "POST" and form.is_valid():
        try:
            services.coverage_update(coverage=coverage, data=form.cleaned_data)
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(request, "Coverage saved.")
            return redirect(coverage.patient)
    # The unsaved form changed the instance in memory; show the stored coverage's name.
    return render(
        request,
        "emr/patients/coverage_form.html",
        {"form": form, "patient": coverage.patient, "coverage": _get_coverage(pk, coverage_pk)},
    )


@require_perms("emr.change_coverage")
@require_POST
def coverage_inactivate(request, pk: int, coverage_pk: int):
    coverage = _get_coverage(pk, coverage_pk)
    try:
        services.coverage_inactivate(coverage=coverage)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Coverage {coverage.payer} {coverage.member_id} ended today.")
    return redirect(coverage.patient)


@require_perms("emr.view_patient")
@require_POST
def face_sheet_request(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    document = services.document_request(
        kind=DocumentKind.FACE_SHEET,
        owner=patient,
        patient=patient,
        title=f"Face sheet: {patient.full_name} ({patient.mrn})",
        requested_by=request.user,
    )
    return redirect(document)


def _get_document_for_user(request, pk: int) -> Document:
    document = get_object_or_404(Document.objects.select_related("patient", "requested_by"), pk=pk)
    if not request.user.has_perm(permission_for(document.kind)):
        raise PermissionDenied
    return document


@login_required
def document_detail(request, pk: int):
    document = _get_document_for_user(request, pk)
    template = "emr/documents/_status.html" if request.htmx else "emr/documents/detail.html"
    return render(request, template, {"document": document})


@login_required
def document_download(request, pk: int):
    document = _get_document_for_user(request, pk)
    if document.status != DocumentStatus.READY:
        messages.warning(request, "This document is not ready yet.")
        return redirect(document)
    access_log_write(
        request=request,
        action=AccessAction.DOWNLOAD,
        patient=document.patient,
        obj=document,
        description=document.get_kind_display(),
    )
    return FileResponse(
        document.file.open("rb"),
        as_attachment=request.GET.get("inline") != "1",
        filename=document.filename,
        content_type=document.content_type,
    )


class _Echo:
    def write(self, value):
        return value


def _csv_cell(value) -> str:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@require_perms("emr.view_accesslog")
def access_log(request):
    form = AccessLogFilterForm(request.GET or None)
    filters = {}
    if form.is_valid():
        filters = {
            "user_id": form.cleaned_data["user"].pk if form.cleaned_data["user"] else None,
            "patient_id": form.cleaned_data["patient"].pk if form.cleaned_data["patient"] else None,
            "action": form.cleaned_data["action"],
            "date_from": form.cleaned_data["date_from"],
            "date_to": form.cleaned_data["date_to"],
        }
    elif form.is_bound:
        return TemplateResponse(request, "emr/access_log.html", {"form": form, "page": None})
    entries = selectors.access_log_list_for_audit(**filters)
    if request.GET.get("format") == "csv":
        access_log_write(request=request, action=AccessAction.EXPORT, description="access log CSV")
        return _access_log_csv(entries)
    return render(
        request, "emr/access_log.html", {"form": form, "page": paginate(request, entries, 50)}
    )


def _access_log_csv(entries) -> HttpResponse:
    writer = csv.writer(_Echo())
    header = [
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

    def rows():
        yield writer.writerow(header)
        for entry in entries.iterator(chunk_size=2000):
            yield writer.writerow(
                _csv_cell(cell)
                for cell in [
                    timezone.localtime(entry.timestamp).isoformat(),
                    entry.username,
                    entry.action,
                    entry.patient.mrn if entry.patient else "",
                    entry.patient.full_name if entry.patient else "",
                    f"{entry.object_type} {entry.object_id}".strip(),
                    entry.description,
                    entry.path,
                    entry.ip_address or "",
                ]
            )

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return StreamingHttpResponse(
        rows(),
        content_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="access-log-{stamp}.csv"'},
    )
