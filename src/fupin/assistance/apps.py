from django.apps import AppConfig


class AssistanceConfig(AppConfig):
    name = "fupin.assistance"
    label = "assistance"
    verbose_name = "帮扶台账"
    default_auto_field = "django.db.models.BigAutoField"
