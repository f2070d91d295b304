"""Writes that carry a billing rule. Views, tasks and commands call these; nothing else
writes billing models."""

from billing.services.batches import batch_create_837p, batch_render_text
from billing.services.claims import (
    claim_accept,
    claim_build,
    claim_deny,
    claim_line_update,
    claim_mark_ready,
    claim_reopen,
    claim_resubmit,
    claim_update,
    claim_void,
    invoice_void,
)
from billing.services.payments import (
    patient_payment_post,
    payment_allocate,
    payment_post,
)
from billing.services.scrub import ScrubProblem, claim_scrub
from billing.services.statements import (
    statement_batch_merge,
    statement_batch_run,
    statement_batch_start,
)

__all__ = [
    "ScrubProblem",
    "batch_create_837p",
    "batch_render_text",
    "claim_accept",
    "claim_build",
    "claim_deny",
    "claim_line_update",
    "claim_mark_ready",
    "claim_reopen",
    "claim_resubmit",
    "claim_scrub",
    "claim_update",
    "claim_void",
    "invoice_void",
    "patient_payment_post",
    "payment_allocate",
    "payment_post",
    "statement_batch_merge",
    "statement_batch_run",
    "statement_batch_start",
]
