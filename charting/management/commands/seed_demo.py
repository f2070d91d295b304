from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from charting.demo import seed_charting
from charting.models import DiagnosisCode
from emr.demo import DEMO_USERS, seed_core
from scheduling.demo import seed_scheduling


class Command(BaseCommand):
    help = (
        "Create a realistic small demo clinic: staff, patients, two weeks of appointments around "
        "today, the ICD-10-CM code set, and signed visits with notes, vitals and coding "
        "(idempotent: running it again adds nothing)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=200)

    def handle(self, *args, patients: int, **options):
        seed_core(patients=patients)
        booked = seed_scheduling()
        if not DiagnosisCode.objects.exists():
            call_command("load_icd10cm", stdout=self.stdout)
        charted = seed_charting()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo clinic ready ({booked} appointments booked, {charted.encounters} visits "
                f"charted). Logins (password {settings.DEMO_PASSWORD!r}):"
            )
        )
        for username, _first, _last, role in DEMO_USERS:
            self.stdout.write(f"  {username:<12} {role}")
