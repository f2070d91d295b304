"""Billing views: the work queue, claims and 837P batches."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing import selectors, services
from billing.forms import (
    AcceptForm,
    ClaimForm,
    ClaimLineFormSet,
    DenyForm,
    QueueFilterForm,
    VoidForm,
)
from billing.models import (
    Claim,
    ClaimBatch,
    ClaimStatus,
    Invoice,
)
from billing.views.common import error_text, form_error, page_of
from charting.models import Encounter
from emr.audit import access_log_write
from emr.models import AccessAction, Document, DocumentKind
from emr.permissions import require_perms
from emr.services import document_request

# --- Work queue -------------------------------------------------------------------------------


@require_perms("billing.view_claim")
@require_GET
def queue(request):
    """Signed visits to bill, and claims by status, with filters."""
    form = QueueFilterForm(request.GET or None)
    filters = {}
    if form.is_valid():
        filters = {
            "payer_id": form.cleaned_data["payer"].pk if form.cleaned_data["payer"] else None,
            "provider_id": form.cleaned_data["provider"].pk
            if form.cleaned_data["provider"]
            else None,
            "date_from": form.cleaned_data["date_from"],
            "date_to": form.cleaned_data["date_to"],
        }
    tab = request.GET.get("tab", "to_bill")
    context = {"form": form, "tab": tab, "counts": selectors.claim_status_counts()}
    if tab == "claims":
        status = form.cleaned_data.get("status", "") if form.is_valid() else ""
        context["page"] = page_of(request, selectors.claim_list_for_queue(status=status, **filters))
    else:
        tab = context["tab"] = "to_bill"
        filters.pop("payer_id", None)
        context["page"] = page_of(request, selectors.encounter_list_to_bill(**filters))
    context["to_bill_count"] = context["page"].paginator.count if tab == "to_bill" else None
    return render(request, "billing/queue.html", context)


@require_perms("billing.add_claim", "billing.add_invoice")
@require_POST
def encounter_bill(request, encounter_pk: int):
    encounter = get_object_or_404(Encounter, pk=encounter_pk)
    try:
        billed = services.claim_build(encounter=encounter, by=request.user)
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect("billing:queue")
    if isinstance(billed, Invoice):
        messages.success(request, f"No coverage on file: invoice {billed.number} to the patient.")
    else:
        messages.success(
            request, f"Claim {billed.number} built as a draft. Scrub it, then mark it ready."
        )
    return redirect(billed)


# --- Claims -----------------------------------------------------------------------------------


def _get_claim(pk: int) -> Claim:
    return get_object_or_404(Claim.objects.select_related("patient"), pk=pk)


@require_perms("billing.view_claim")
@require_GET
def claim_detail(request, pk: int):
    claim = get_object_or_404(Claim.objects.only("pk"), pk=pk)
    claim = selectors.claim_get_for_detail(pk=claim.pk)
    access_log_write(
        request=request,
        action=AccessAction.VIEW,
        patient=claim.patient,
        obj=claim,
        description="claim",
    )
    documents = claim_documents(claim)
    return render(
        request,
        "billing/claim_detail.html",
        {
            "claim": claim,
            "diagnoses": list(claim.diagnoses.all()),
            "lines": list(claim.lines.all()),
            "documents": documents,
            "deny_form": DenyForm(),
            "accept_form": AcceptForm(),
            "void_form": VoidForm(),
        },
    )


def claim_documents(claim: Claim):
    return Document.objects.filter(
        owner_type=ContentType.objects.get_for_model(Claim),
        owner_id=claim.pk,
        kind=DocumentKind.CMS1500,
    ).order_by("-created_at")[:5]


@require_perms("billing.view_claim")
@require_GET
def claim_scrub(request, pk: int):
    claim = _get_claim(pk)
    problems = services.claim_scrub(claim=claim)
    blocking = [problem for problem in problems if problem.blocking]
    warnings = [problem for problem in problems if not problem.blocking]
    return render(
        request,
        "billing/_scrub.html",
        {"claim": claim, "blocking": blocking, "warnings": warnings, "scrubbed": True},
    )


@require_perms("billing.change_claim")
@require_http_methods(["GET", "POST"])
def claim_edit(request, pk: int):
    claim = get_object_or_404(Claim.objects.select_related("patient", "payer"), pk=pk)
    if not claim.is_editable:
        messages.warning(request, "Only a draft claim can be changed. Reopen it first.")
        return redirect(claim)
    lines = list(claim.lines.order_by("line_number"))
    initial = [
        {
            "line_id": line.pk,
            "units": line.units,
            "unit_price": line.unit_price,
            "modifiers": " ".join(line.modifiers),
            "diagnosis_pointers": line.pointer_letters,
        }
        for line in lines
    ]
    form = ClaimForm(request.POST or None, instance=claim)
    formset = ClaimLineFormSet(request.POST or None, initial=initial, prefix="lines")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        by_id = {line.pk: line for line in lines}
        try:
            with transaction.atomic():
                services.claim_update(claim=claim, data=form.cleaned_data, by=request.user)
                for index, line_form in enumerate(formset.forms):
                    line = by_id.get(line_form.cleaned_data["line_id"])
                    if line is None:
                        raise ValidationError("A line of this claim has changed; reload the page.")
                    try:
                        services.claim_line_update(
                            line=line, data=line_form.cleaned_data, by=request.user
                        )
                    except ValidationError as error:
                        form_error(line_form, error)
                        raise ValidationError(f"Line {index + 1} needs a correction.") from error
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(request, "Claim saved.")
            return redirect(claim)
    return render(
        request,
        "billing/claim_edit.html",
        {
            "claim": Claim.objects.get(pk=claim.pk),
            "form": form,
            "formset": formset,
            "rows": list(zip(lines, formset.forms, strict=False)),
            "diagnoses": list(claim.diagnoses.select_related("code")),
        },
    )


def _claim_action(request, pk: int, action, success: str):
    claim = _get_claim(pk)
    try:
        result = action(claim)
    except ValidationError as error:
        # The scrubber's findings, one message each, so the biller can work down the list.
        for message in error.messages:
            messages.error(request, message)
        return redirect(claim)
    messages.success(request, success.format(claim=claim, result=result))
    return redirect(result if isinstance(result, Claim) else claim)


@require_perms("billing.change_claim")
@require_POST
def claim_ready(request, pk: int):
    return _claim_action(
        request,
        pk,
        lambda claim: services.claim_mark_ready(claim=claim, by=request.user),
        "Claim {claim.number} passed the scrubber and is ready to send.",
    )


@require_perms("billing.change_claim")
@require_POST
def claim_reopen(request, pk: int):
    return _claim_action(
        request,
        pk,
        lambda claim: services.claim_reopen(claim=claim, by=request.user),
        "Claim {claim.number} is a draft again.",
    )


@require_perms("billing.change_claim")
@require_POST
def claim_accept(request, pk: int):
    form = AcceptForm(request.POST)
    number = form.cleaned_data["payer_claim_number"] if form.is_valid() else ""
    return _claim_action(
        request,
        pk,
        lambda claim: services.claim_accept(
            claim=claim, payer_claim_number=number, by=request.user
        ),
        "Claim {claim.number} marked accepted by the payer.",
    )


@require_perms("billing.change_claim")
@require_http_methods(["GET", "POST"])
def claim_deny(request, pk: int):
    claim = _get_claim(pk)
    form = DenyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.claim_deny(
                claim=claim,
                reason=form.cleaned_data["reason"],
                code=form.cleaned_data["code"],
                payer_claim_number=form.cleaned_data["payer_claim_number"],
                by=request.user,
            )
        except ValidationError as error:
            form_error(form, error)
        else:
            messages.success(request, f"Claim {claim.number} marked denied.")
            return redirect(claim)
    return render(
        request,
        "billing/claim_action_form.html",
        {
            "claim": claim,
            "form": form,
            "title": f"Deny claim {claim.number}",
            "button": "Mark denied",
            "action": "billing:claim_deny",
        },
    )


@require_perms("billing.add_claim", "billing.change_claim")
@require_POST
def claim_resubmit(request, pk: int):
    return _claim_action(
        request,
        pk,
        lambda claim: services.claim_resubmit(claim=claim, by=request.user),
        "Corrected claim {result.number} (replacing {claim.number}) started as a draft.",
    )


@require_perms("billing.change_claim")
@require_http_methods(["GET", "POST"])
def claim_void(request, pk: int):
    claim = _get_claim(pk)
    form = VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.claim_void(
                claim=claim, reason=form.cleaned_data["reason"], by=request.user
            )
        except ValidationError as error:
            form_error(form, error)
        else:
            if result.pk == claim.pk:
                messages.success(request, f"Claim {claim.number} is void.")
            else:
                messages.success(
                    request,
                    f"Claim {claim.number} is void; void request {result.number} goes out "
                    "with the next batch.",
                )
            return redirect(result)
    return render(
        request,
        "billing/claim_action_form.html",
        {
            "claim": claim,
            "form": form,
            "title": f"Void claim {claim.number}",
            "button": "Void the claim",
            "action": "billing:claim_void",
            "danger": True,
        },
    )


@require_perms("billing.view_claim")
@require_POST
def claim_cms1500(request, pk: int):
    claim = _get_claim(pk)
    document = document_request(
        kind=DocumentKind.CMS1500,
        owner=claim,
        patient=claim.patient,
        title=f"CMS-1500 claim {claim.number}: {claim.patient.full_name}",
        requested_by=request.user,
    )
    return redirect(document)


@require_perms("billing.view_claim")
@require_GET
def claim_history(request, pk: int):
    claim = _get_claim(pk)
    entries = selectors.claim_history_entries(claim=claim)
    return render(
        request,
        "billing/claim_history.html",
        {"claim": claim, "page": page_of(request, entries, 50)},
    )


# --- 837P batches -----------------------------------------------------------------------------


@require_perms("billing.view_claimbatch")
@require_GET
def batch_list(request):
    ready_count = Claim.objects.filter(status=ClaimStatus.READY).count()
    return render(
        request,
        "billing/batches.html",
        {
            "page": page_of(request, selectors.batch_list()),
            "ready_count": ready_count,
        },
    )


@require_perms("billing.add_claimbatch", "billing.change_claim")
@require_POST
def batch_create(request):
    try:
        batch = services.batch_create_837p(by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("billing:batches")
    messages.success(
        request,
        f"837P file {batch.interchange_control_number:09d} created; its claims are submitted.",
    )
    return redirect(batch)


@require_perms("billing.view_claimbatch")
@require_GET
def batch_detail(request, pk: int):
    batch = get_object_or_404(ClaimBatch.objects.select_related("document", "created_by"), pk=pk)
    claims = selectors.claim_list_for_queue().filter(batch=batch)
    return render(
        request, "billing/batch_detail.html", {"batch": batch, "page": page_of(request, claims)}
    )
