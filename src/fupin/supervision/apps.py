from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "fupin.supervision"
    label = "supervision"
    verbose_name = "挂牌督战与问题整改"
    default_auto_field = "django.db.models.BigAutoField"
