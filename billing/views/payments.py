"""Billing views: payer and patient payments, the patient's account, invoices."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing import selectors, services
from billing.forms import (
    AllocationFormSet,
    PatientPaymentForm,
    PayerPaymentForm,
    VoidForm,
)
from billing.ledger import patient_ledger
from billing.models import (
    Claim,
    Invoice,
    Payment,
    PaymentSource,
)
from billing.services.payments import AdjustmentInput, LineAllocation
from billing.views.common import error_text, form_error, page_of
from emr.audit import access_log_write
from emr.models import AccessAction, Document, DocumentKind, Patient
from emr.permissions import require_perms
from emr.services import document_request

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
            "page": page_of(request, selectors.payment_list(source=source)),
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
            form_error(form, error)
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
        context["claims"] = page_of(request, selectors.open_claims_for_payment(payment=payment), 15)
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
        "page": page_of(request, entries, 50) if full else None,
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
            form_error(form, error)
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
        messages.error(request, error_text(error))
    else:
        messages.success(request, f"Invoice {invoice.number} is void.")
    return redirect(invoice)
