from django.core.management.base import BaseCommand

from charting.icd10 import icd10cm_load


class Command(BaseCommand):
    help = "Load (or refresh) the ICD-10-CM code set from the simple-icd-10-cm package. Idempotent."

    def handle(self, *args, **options):
        result = icd10cm_load()
        self.stdout.write(
            self.style.SUCCESS(
                f"ICD-10-CM: {result.total} codes ({result.billable} billable): "
                f"{result.created} added, {result.updated} updated, {result.unchanged} unchanged "
                f"in {result.seconds:.1f} s."
            )
        )
