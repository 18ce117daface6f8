"""The official division table (MCA, down to towns) in Region, once per database.

Loaded by ``migrate`` itself, so that every command and server that brings the schema up to date
also has the divisions; a database that already holds them is left as it is.
"""

from django.db import migrations


def load(apps, schema_editor):
    from fupin.registry.services.divisions import insert_official

    Region = apps.get_model("registry", "Region")
    if Region.objects.filter(official=True).exists():
        return
    with schema_editor.connection.cursor() as cursor:
        insert_official(cursor, Region._meta.db_table)


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0004_importbatch_region"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
