"""The official division table (MCA, down to towns) in Region, once per database.

Loaded by ``migrate`` itself, so that every command and server that brings the schema up to date
also has the divisions; a database that already holds them is left as it is.
"""

from django.db import migrations

from fupin import divisions


def load(apps, schema_editor):
    Region = apps.get_model("registry", "Region")
    if Region.objects.filter(official=True).exists():
        return
    rows = [
        Region(code=code, name=name, level=level, parent_id=parent, official=True, zone=divisions.zone_of(code))
        for code, name, level, parent in divisions.table().select("code", "name", "level", "parent_code").iter_rows()
    ]
    Region.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0004_importbatch_region"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
