from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "fupin.assessments"
    label = "assessments"
    verbose_name = "评估"
