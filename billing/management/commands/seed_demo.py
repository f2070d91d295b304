from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from billing.demo import seed_billing
from charting.demo import seed_charting
from charting.models import DiagnosisCode
from emr.demo import DEMO_USERS, seed_core
from scheduling.demo import seed_scheduling


class Command(BaseCommand):
    help = (
        "Create a realistic small demo clinic: staff, patients with coverage, two weeks of "
        "appointments around today, the ICD-10-CM code set, signed visits with notes, vitals "
        "and coding, and claims and payments in every status. Idempotent: a second run adds "
        "nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=200)
        parser.add_argument(
            "--days", type=int, default=7, help="days of appointments either side of today"
        )
        parser.add_argument("--history-patients", type=int, default=12)

    def handle(self, *args, patients: int, days: int, history_patients: int, **options):
        # The layers in dependency order: clinic core, schedule, chart, billing.
        seed_core(patients=patients)
        booked = seed_scheduling(days=days)
        if not DiagnosisCode.objects.exists():
            call_command("load_icd10cm", stdout=self.stdout)
        charted = seed_charting(history_patients=history_patients)
        billed = seed_billing()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo clinic ready: {booked} appointments booked, {charted.encounters} visits "
                f"charted, {billed.claims} claims and {billed.invoices} invoices, "
                f"{billed.payments} payments. Logins (password {settings.DEMO_PASSWORD!r}):"
            )
        )
        for username, _first, _last, role in DEMO_USERS:
            self.stdout.write(f"  {username:<12} {role}")
