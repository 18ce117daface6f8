from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("jobs", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="options",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name="job",
            name="kind",
            field=models.CharField(choices=[("import", "Import"), ("assess", "Assessment"), ("export", "Export"),
                                            ("match", "Department matching")],
                                   max_length=8, verbose_name="kind"),
        ),
    ]
