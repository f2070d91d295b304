"""Billing records in the admin: to look at and trace through their history. Every change goes
through billing.services (the billing pages), so the admin neither adds, changes nor deletes."""

from django.contrib import admin

from billing.models import (
    Adjustment,
    Claim,
    ClaimBatch,
    ClaimDiagnosis,
    ClaimLine,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
    Statement,
    StatementBatch,
)
from emr.admin import NoDeleteHistoryAdmin


class ReadOnlyHistoryAdmin(NoDeleteHistoryAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ClaimDiagnosisInline(admin.TabularInline):
    model = ClaimDiagnosis
    extra = 0
    can_delete = False
    readonly_fields = ["rank", "code"]

    def has_add_permission(self, request, obj=None):
        return False


class ClaimLineInline(admin.TabularInline):
    model = ClaimLine
    extra = 0
    can_delete = False
    fields = [
        "line_number",
        "code",
        "modifiers",
        "diagnosis_pointers",
        "units",
        "unit_price",
        "charge",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Claim)
class ClaimAdmin(ReadOnlyHistoryAdmin):
    list_display = ["__str__", "status", "frequency_code", "patient", "payer", "submitted_at"]
    list_filter = ["status", "frequency_code", "payer"]
    list_select_related = ["patient", "payer"]
    raw_id_fields = ["patient", "encounter", "coverage", "original_claim", "batch"]
    search_fields = ["patient__mrn", "patient__last_name", "payer_claim_number"]
    inlines = [ClaimDiagnosisInline, ClaimLineInline]
    show_full_result_count = False


@admin.register(ClaimBatch)
class ClaimBatchAdmin(ReadOnlyHistoryAdmin):
    list_display = ["__str__", "generated_at", "receiver_name", "usage_indicator", "created_by"]
    list_select_related = ["created_by"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyHistoryAdmin):
    list_display = ["received_on", "source", "payer", "patient", "method", "reference", "amount"]
    list_filter = ["source", "method", "is_copay"]
    list_select_related = ["payer", "patient"]
    raw_id_fields = ["patient", "encounter"]
    search_fields = ["reference", "patient__mrn", "patient__last_name"]


@admin.register(PaymentAllocation)
class PaymentAllocationAdmin(ReadOnlyHistoryAdmin):
    list_display = ["payment", "claim_line", "allowed", "paid"]
    list_select_related = ["payment__payer", "payment__patient", "claim_line"]
    raw_id_fields = ["payment", "claim_line"]


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyHistoryAdmin):
    list_display = ["claim_line", "group", "reason_code", "amount", "payment"]
    list_filter = ["group"]
    list_select_related = ["claim_line", "payment__payer", "payment__patient"]
    raw_id_fields = ["claim_line", "payment"]


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    fields = ["line_number", "code", "description", "units", "unit_price", "charge"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyHistoryAdmin):
    list_display = ["__str__", "patient", "issued_on", "status"]
    list_filter = ["status"]
    list_select_related = ["patient"]
    raw_id_fields = ["patient", "encounter"]
    inlines = [InvoiceLineInline]


@admin.register(StatementBatch)
class StatementBatchAdmin(ReadOnlyHistoryAdmin):
    list_display = ["__str__", "period_end", "expected", "started_by"]


@admin.register(Statement)
class StatementAdmin(ReadOnlyHistoryAdmin):
    list_display = ["__str__", "period_end", "amount_due"]
    list_select_related = ["patient"]
    raw_id_fields = ["patient", "batch", "document"]
