"""SalesLoad, and on PostgreSQL a counter of writes to SalesDay.

The counter is a sequence, advanced once per statement that inserts, updates, deletes or
truncates SalesDay rows, by a statement-level trigger: it costs one nextval per statement, not
per row, and a sequence never blocks a concurrent writer (a counter row would lock every other
writer out until the import commits). An import records the counter after its own writes
(inventory.ingest.loads); while it has not moved, the stored days are what that import left.
SQLite has no statement triggers: there every import reads its files.
"""
from django.db import migrations, models

SEQUENCE = "inventory_salesday_writes"
CREATE = f"""
CREATE SEQUENCE IF NOT EXISTS {SEQUENCE};
CREATE OR REPLACE FUNCTION inventory_salesday_written() RETURNS trigger AS $$
BEGIN
    PERFORM nextval('{SEQUENCE}');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER inventory_salesday_written AFTER INSERT OR UPDATE OR DELETE ON inventory_salesday
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_salesday_written();
CREATE TRIGGER inventory_salesday_truncated AFTER TRUNCATE ON inventory_salesday
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_salesday_written();
"""
DROP = f"""
DROP TRIGGER IF EXISTS inventory_salesday_written ON inventory_salesday;
DROP TRIGGER IF EXISTS inventory_salesday_truncated ON inventory_salesday;
DROP FUNCTION IF EXISTS inventory_salesday_written();
DROP SEQUENCE IF EXISTS {SEQUENCE};
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0009_salesday_references_without_db_checks'),
    ]

    operations = [
        migrations.CreateModel(
            name='SalesLoad',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('format', models.CharField(max_length=20)),
                ('digest', models.CharField(db_index=True, help_text='SHA-256 of the files and the import options.', max_length=64)),
                ('files', models.JSONField(default=list)),
                ('sales_writes', models.BigIntegerField(help_text='The SalesDay write counter once this import had written.')),
                ('days', models.BigIntegerField(help_text='Sales-days the files hold (inserted, updated and unchanged).')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
