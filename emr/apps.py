from django.apps import AppConfig


class EmrConfig(AppConfig):
    name = "emr"
    verbose_name = "Clinic"

    def ready(self):
        from emr import audit, documents  # noqa: F401  (connects auth signals, document kinds)
