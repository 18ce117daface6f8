"""Leads store their proposed category as the rule registry's key (unstable, marginal, sudden),
not the Chinese label; existing rows are converted both ways."""

from django.db import migrations, models

KEYS = {"脱贫不稳定户": "unstable", "边缘易致贫户": "marginal", "突发严重困难户": "sudden"}


def to_keys(apps, schema_editor):
    Lead = apps.get_model("monitoring", "Lead")
    for label, key in KEYS.items():
        Lead.objects.filter(category=label).update(category=key)


def to_labels(apps, schema_editor):
    Lead = apps.get_model("monitoring", "Lead")
    for label, key in KEYS.items():
        Lead.objects.filter(category=key).update(category=label)


class Migration(migrations.Migration):

    dependencies = [
        ("monitoring", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="lead",
            name="category",
            field=models.CharField(blank=True, choices=[("unstable", "脱贫不稳定户"), ("marginal", "边缘易致贫户"),
                                                        ("sudden", "突发严重困难户")],
                                   default="", max_length=16, verbose_name="监测对象类别"),
        ),
        migrations.RunPython(to_keys, to_labels),
    ]
