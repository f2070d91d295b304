from django.apps import AppConfig


class ChartingConfig(AppConfig):
    name = "charting"
    verbose_name = "Charting"

    def ready(self):
        from charting import documents  # noqa: F401  (registers the visit summary renderer)
