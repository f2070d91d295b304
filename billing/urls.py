from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("visits/<int:encounter_pk>/bill/", views.encounter_bill, name="encounter_bill"),
    path("claims/<int:pk>/", views.claim_detail, name="claim_detail"),
    path("claims/<int:pk>/edit/", views.claim_edit, name="claim_edit"),
    path("claims/<int:pk>/scrub/", views.claim_scrub, name="claim_scrub"),
    path("claims/<int:pk>/ready/", views.claim_ready, name="claim_ready"),
    path("claims/<int:pk>/reopen/", views.claim_reopen, name="claim_reopen"),
    path("claims/<int:pk>/accept/", views.claim_accept, name="claim_accept"),
    path("claims/<int:pk>/deny/", views.claim_deny, name="claim_deny"),
    path("claims/<int:pk>/resubmit/", views.claim_resubmit, name="claim_resubmit"),
    path("claims/<int:pk>/void/", views.claim_void, name="claim_void"),
    path("claims/<int:pk>/cms1500/", views.claim_cms1500, name="claim_cms1500"),
    path("claims/<int:pk>/history/", views.claim_history, name="claim_history"),
    path("batches/", views.batch_list, name="batches"),
    path("batches/new/", views.batch_create, name="batch_create"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("payments/", views.payment_list, name="payments"),
    path("payments/new/", views.payment_new, name="payment_new"),
    path("payments/<int:pk>/", views.payment_detail, name="payment_detail"),
    path(
        "payments/<int:pk>/claims/<int:claim_pk>/",
        views.payment_allocate,
        name="payment_allocate",
    ),
    path("patients/<int:patient_pk>/account/", views.patient_account, name="patient_account"),
    path("patients/<int:patient_pk>/payment/", views.patient_payment_new, name="patient_payment"),
    path("patients/<int:patient_pk>/copay/", views.copay_new, name="copay"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:pk>/void/", views.invoice_void, name="invoice_void"),
    path("reports/aging/", views.aging, name="aging"),
    path("statements/", views.statements, name="statements"),
    path("statements/<int:pk>/", views.statement_batch, name="statement_batch"),
    path("statements/<int:pk>/merge/", views.statement_batch_merge, name="statement_batch_merge"),
]
