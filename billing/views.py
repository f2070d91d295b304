"""Billing pages: thin views over billing.services and billing.selectors."""

from __future__ import annotations

import csv
from decimal import Decimal

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing import selectors, services
from billing.forms import (
    AcceptForm,
    AgingForm,
    AllocationFormSet,
    ClaimForm,
    ClaimLineFormSet,
    DenyForm,
    PatientPaymentForm,
    PayerPaymentForm,
    QueueFilterForm,
    StatementRunForm,
    VoidForm,
)
from billing.ledger import BUCKETS, aging_report, patient_ledger
from billing.models import (
    Claim,
    ClaimBatch,
    ClaimStatus,
    Invoice,
    Payment,
    PaymentSource,
    StatementBatch,
)
from billing.services.payments import AdjustmentInput, LineAllocation
from charting.models import Encounter
from emr.audit import access_log_write
from emr.models import AccessAction, Document, DocumentKind, Patient
from emr.permissions import require_perms
from emr.services import document_request

PAGE_SIZE = 25


def _page(request, items, per_page: int = PAGE_SIZE):
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _form_error(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


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
        context["page"] = _page(request, selectors.claim_list_for_queue(status=status, **filters))
    else:
        tab = context["tab"] = "to_bill"
        filters.pop("payer_id", None)
        context["page"] = _page(request, selectors.encounter_list_to_bill(**filters))
    context["to_bill_count"] = context["page"].paginator.count if tab == "to_bill" else None
    return render(request, "billing/queue.html", context)


@require_perms("billing.add_claim", "billing.add_invoice")
@require_POST
def encounter_bill(request, encounter_pk: int):
    encounter = get_object_or_404(Encounter, pk=encounter_pk)
    try:
        billed = services.claim_build(encounter=encounter, by=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
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
    return render(
        request, "billing/_scrub.html", {"claim": claim, "problems": problems, "scrubbed": True}
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
                        _form_error(line_form, error)
                        raise ValidationError(f"Line {index + 1} needs a correction.") from error
        except ValidationError as error:
            _form_error(form, error)
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
        messages.error(request, _error_text(error))
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
            _form_error(form, error)
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
            _form_error(form, error)
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
    records = claim.history.select_related("history_user").order_by("-history_date", "-history_id")
    entries = []
    for record in records:
        previous = record.prev_record
        changes = []
        if previous is not None:
            delta = record.diff_against(previous, excluded_fields=["created_at", "updated_at"])
            changes = [
                (change.field.replace("_", " "), change.old, change.new) for change in delta.changes
            ]
        entries.append({"record": record, "changes": changes})
    return render(
        request, "billing/claim_history.html", {"claim": claim, "page": _page(request, entries, 50)}
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
            "page": _page(request, selectors.batch_list()),
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
        request, "billing/batch_detail.html", {"batch": batch, "page": _page(request, claims)}
    )


# --- Payments ---------------------------------------------------------------------------------


@require_perms("billing.view_payment")
@require_GET
def payment_list(request):
    source = request.GET.get("source", "")
    if source not in PaymentSource.values:
        source = ""
    return render(
        request,
        "billing/payments.html",
        {
            "page": _page(request, selectors.payment_list(source=source)),
            "source": source,
        },
    )


@require_perms("billing.add_payment")
@require_http_methods(["GET", "POST"])
def payment_new(request):
    form = PayerPaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment = services.payment_post(
                payer=data["payer"],
                method=data["method"],
                reference=data["reference"],
                amount=data["amount"],
                received_on=data["received_on"],
                note=data["note"],
                by=request.user,
            )
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, "Payment posted. Now apply it to the claims on the EOB.")
            return redirect(payment)
    return render(
        request, "billing/payment_form.html", {"form": form, "title": "Post a payer payment"}
    )


@require_perms("billing.view_payment")
@require_GET
def payment_detail(request, pk: int):
    payment = get_object_or_404(Payment.objects.only("pk"), pk=pk)
    payment = selectors.payment_get_for_detail(pk=payment.pk)
    context = {"payment": payment, "unapplied": payment.amount - (payment.applied or Decimal("0"))}
    if payment.source == PaymentSource.PAYER:
        context["claims"] = _page(request, selectors.open_claims_for_payment(payment=payment), 15)
    return render(request, "billing/payment_detail.html", context)


@require_perms("billing.add_paymentallocation", "billing.add_adjustment")
@require_http_methods(["GET", "POST"])
def payment_allocate(request, pk: int, claim_pk: int):
    payment = get_object_or_404(
        Payment.objects.select_related("payer"), pk=pk, source=PaymentSource.PAYER
    )
    claim = get_object_or_404(
        Claim.objects.select_related("patient"), pk=claim_pk, payer_id=payment.payer_id
    )
    lines = list(claim.lines.order_by("line_number"))
    initial = [
        {"claim_line_id": line.pk, "allowed": line.charge, "paid": Decimal("0.00")}
        for line in lines
    ]
    formset = AllocationFormSet(request.POST or None, initial=initial, prefix="eob")
    error_list = []
    if request.method == "POST" and formset.is_valid():
        entries = []
        for form in formset.forms:
            data = form.cleaned_data
            adjustments = [
                AdjustmentInput(
                    data[f"{prefix}_group"], data[f"{prefix}_code"], data[f"{prefix}_amount"]
                )
                for prefix in ("adjustment", "second")
                if data.get(f"{prefix}_group")
            ]
            entries.append(
                LineAllocation(
                    claim_line_id=data["claim_line_id"],
                    allowed=data["allowed"],
                    paid=data["paid"],
                    adjustments=adjustments,
                )
            )
        try:
            services.payment_allocate(payment=payment, claim=claim, lines=entries, by=request.user)
        except ValidationError as error:
            error_list = error.messages
        else:
            messages.success(request, f"Payment applied to claim {claim.number}.")
            return redirect(payment)
    return render(
        request,
        "billing/allocation_form.html",
        {
            "payment": payment,
            "claim": claim,
            "formset": formset,
            "rows": list(zip(lines, formset.forms, strict=False)),
            "errors": error_list,
        },
    )


# --- Patient account --------------------------------------------------------------------------


@require_perms("billing.view_patient_balance")
@require_GET
def patient_account(request, patient_pk: int):
    """The patient page's billing card (htmx) or the full ledger page."""
    patient = get_object_or_404(Patient, pk=patient_pk)
    show_ledger = request.user.has_perm("billing.view_payment")
    ledger = patient_ledger(patient_id=patient.pk)
    full = not request.htmx
    if full and not show_ledger:
        # The front desk sees the balance on the patient page; the ledger is billing's.
        return redirect(patient)
    if full:
        access_log_write(
            request=request,
            action=AccessAction.VIEW,
            patient=patient,
            obj=patient,
            description="patient ledger",
        )
    entries = list(reversed(ledger.entries))
    context = {
        "patient": patient,
        "ledger": ledger,
        "show_ledger": show_ledger,
        "credit": -ledger.patient_balance if ledger.patient_balance < 0 else None,
        "entries": entries[:10] if not full else None,
        "page": _page(request, entries, 50) if full else None,
    }
    template = "billing/patient_account.html" if full else "billing/_account_card.html"
    return render(request, template, context)


def _patient_payment(request, patient_pk: int, *, copay_only: bool):
    patient = get_object_or_404(Patient, pk=patient_pk)
    form = PatientPaymentForm(request.POST or None, copay_only=copay_only)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.patient_payment_post(
                patient=patient,
                method=data["method"],
                amount=data["amount"],
                reference=data["reference"],
                note=data["note"],
                received_on=data.get("received_on") or timezone.localdate(),
                is_copay=copay_only or data.get("is_copay", False),
                by=request.user,
            )
        except ValidationError as error:
            _form_error(form, error)
        else:
            label = "Copay" if copay_only or data.get("is_copay") else "Payment"
            messages.success(
                request, f"{label} of ${data['amount']} recorded for {patient.full_name}."
            )
            return redirect(patient)
    title = "Take a copay" if copay_only else "Post a patient payment"
    return render(
        request, "billing/payment_form.html", {"form": form, "title": title, "patient": patient}
    )


@require_perms("billing.add_payment")
@require_http_methods(["GET", "POST"])
def patient_payment_new(request, patient_pk: int):
    return _patient_payment(request, patient_pk, copay_only=False)


@require_perms("billing.take_copay")
@require_http_methods(["GET", "POST"])
def copay_new(request, patient_pk: int):
    return _patient_payment(request, patient_pk, copay_only=True)


# --- Invoices ---------------------------------------------------------------------------------


@require_perms("billing.view_invoice")
@require_GET
def invoice_detail(request, pk: int):
    invoice = get_object_or_404(
        Invoice.objects.select_related("patient", "encounter__provider__user").prefetch_related(
            "lines"
        ),
        pk=pk,
    )
    documents = Document.objects.filter(
        owner_type=ContentType.objects.get_for_model(Invoice), owner_id=invoice.pk
    ).order_by("-created_at")[:5]
    return render(
        request,
        "billing/invoice_detail.html",
        {
            "invoice": invoice,
            "lines": list(invoice.lines.all()),
            "documents": documents,
            "void_form": VoidForm(),
        },
    )


@require_perms("billing.view_invoice")
@require_POST
def invoice_pdf(request, pk: int):
    invoice = get_object_or_404(Invoice.objects.select_related("patient"), pk=pk)
    document = document_request(
        kind=DocumentKind.INVOICE,
        owner=invoice,
        patient=invoice.patient,
        title=f"Invoice {invoice.number}: {invoice.patient.full_name}",
        requested_by=request.user,
    )
    return redirect(document)


@require_perms("billing.change_invoice")
@require_POST
def invoice_void(request, pk: int):
    invoice = get_object_or_404(Invoice, pk=pk)
    form = VoidForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the invoice is being voided.")
        return redirect(invoice)
    try:
        services.invoice_void(invoice=invoice, reason=form.cleaned_data["reason"], by=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"Invoice {invoice.number} is void.")
    return redirect(invoice)


# --- A/R aging --------------------------------------------------------------------------------


def _chart(aging) -> dict:
    """Bars of the aging buckets, insurance stacked under patient, as SVG coordinates."""
    payer, patient = aging.payer_totals, aging.patient_totals
    largest = max([payer[b] + patient[b] for b in BUCKETS] + [Decimal("1")])
    height, bar_width, gap, top = 180, 64, 28, 20
    bars = []
    for index, bucket in enumerate(BUCKETS):
        insurance_height = int(payer[bucket] / largest * height) if payer[bucket] > 0 else 0
        patient_height = int(patient[bucket] / largest * height) if patient[bucket] > 0 else 0
        x = 50 + index * (bar_width + gap)
        bars.append(
            {
                "bucket": bucket,
                "x": x,
                "label_x": x + bar_width // 2,
                "width": bar_width,
                "insurance": payer[bucket],
                "patient": patient[bucket],
                "total": payer[bucket] + patient[bucket],
                "insurance_y": top + height - insurance_height,
                "insurance_height": insurance_height,
                "patient_y": top + height - insurance_height - patient_height,
                "patient_height": patient_height,
            }
        )
    return {
        "bars": bars,
        "baseline": top + height,
        "width": 50 + len(BUCKETS) * (bar_width + gap),
        "height": top + height + 40,
        "largest": largest,
    }


@require_perms("billing.view_claim", "billing.view_payment")
@require_GET
def aging(request):
    form = AgingForm(request.GET or None)
    as_of = form.cleaned_data.get("as_of") if form.is_valid() else None
    report = aging_report(as_of=as_of)
    if request.GET.get("format") == "csv":
        access_log_write(request=request, action=AccessAction.EXPORT, description="A/R aging CSV")
        return _aging_csv(report, request.GET.get("group", "payer"))
    return render(
        request,
        "billing/aging.html",
        {
            "form": form,
            "report": report,
            "buckets": BUCKETS,
            "chart": _chart(report),
            "patients": _page(request, report.by_patient, 50),
        },
    )


def _csv_cell(value) -> str:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _aging_csv(report, group: str) -> HttpResponse:
    rows = report.by_patient if group == "patient" else report.by_payer
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = (
        f'attachment; filename="ar-aging-{group}-{report.as_of:%Y-%m-%d}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow([group, *BUCKETS, "total", *(["credit"] if group == "patient" else [])])
    for row in rows:
        writer.writerow(
            [
                _csv_cell(row.label),
                *[f"{row.buckets[b]:.2f}" for b in BUCKETS],
                f"{row.total:.2f}",
                *([f"{row.credit:.2f}"] if group == "patient" else []),
            ]
        )
    totals = report.patient_totals if group == "patient" else report.payer_totals
    writer.writerow(
        ["TOTAL", *[f"{totals[b]:.2f}" for b in BUCKETS], f"{sum(totals.values()):.2f}"]
    )
    return response


# --- Statements -------------------------------------------------------------------------------


@require_perms("billing.view_statementbatch")
@require_http_methods(["GET", "POST"])
def statements(request):
    form = StatementRunForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("billing.add_statementbatch"):
            raise PermissionDenied
        if form.is_valid():
            try:
                batch = services.statement_batch_start(
                    period_end=form.cleaned_data["period_end"], by=request.user
                )
            except ValidationError as error:
                _form_error(form, error)
            else:
                messages.success(
                    request, f"Statements for {batch.period_end:%m/%d/%Y} are being prepared."
                )
                return redirect(batch)
    batches = StatementBatch.objects.order_by("-period_end")
    return render(
        request, "billing/statements.html", {"form": form, "page": _page(request, batches)}
    )


@require_perms("billing.view_statementbatch")
@require_GET
def statement_batch(request, pk: int):
    batch = get_object_or_404(StatementBatch.objects.select_related("merged_document"), pk=pk)
    progress = selectors.statement_batch_progress(batch=batch)
    if request.htmx:
        return render(
            request, "billing/_statement_progress.html", {"batch": batch, "progress": progress}
        )
    return render(
        request,
        "billing/statement_batch.html",
        {
            "batch": batch,
            "progress": progress,
            "page": _page(request, selectors.statement_list_for_batch(batch=batch), 50),
        },
    )


@require_perms("billing.add_statementbatch")
@require_POST
def statement_batch_merge(request, pk: int):
    batch = get_object_or_404(StatementBatch, pk=pk)
    try:
        document = services.statement_batch_merge(batch=batch, by=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect(batch)
    return redirect(document)
