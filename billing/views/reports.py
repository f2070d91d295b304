"""Billing views: A/R aging (chart, CSV) and month-end statements."""

from __future__ import annotations

import csv
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing import selectors, services
from billing.forms import (
    AgingForm,
    StatementRunForm,
)
from billing.ledger import BUCKETS, aging_report
from billing.models import (
    StatementBatch,
)
from billing.views.common import error_text, form_error, page_of
from emr.audit import access_log_write
from emr.models import AccessAction
from emr.permissions import require_perms

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
            "patients": page_of(request, report.by_patient, 50),
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
                form_error(form, error)
            else:
                messages.success(
                    request, f"Statements for {batch.period_end:%m/%d/%Y} are being prepared."
                )
                return redirect(batch)
    batches = StatementBatch.objects.order_by("-period_end")
    return render(
        request, "billing/statements.html", {"form": form, "page": page_of(request, batches)}
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
            "page": page_of(request, selectors.statement_list_for_batch(batch=batch), 50),
        },
    )


@require_perms("billing.add_statementbatch")
@require_POST
def statement_batch_merge(request, pk: int):
    batch = get_object_or_404(StatementBatch, pk=pk)
    try:
        document = services.statement_batch_merge(batch=batch, by=request.user)
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect(batch)
    return redirect(document)
