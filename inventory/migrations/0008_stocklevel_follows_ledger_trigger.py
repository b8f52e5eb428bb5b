"""On PostgreSQL, a change of on-hand stock must come with its ledger line.

Services write a StockMovement with every StockLevel change, in one transaction. A raw UPDATE
(a script, a bulk update, a hand edit in a database console) could change on_hand alone and the
books would no longer add up. A deferred constraint trigger checks, when the transaction
commits, that the stock level's on_hand equals the balance of its pair's last ledger line; if
not, the commit fails and nothing of it is kept. It reads the row as it is at commit, so several
movements of one pair in one transaction are fine. Creating a level (INSERT) is not checked:
a new level starts at zero, and restoring a backup loads levels and ledger together.
SQLite keeps the service-level rule only.
"""
from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION inventory_stocklevel_follows_ledger() RETURNS trigger AS $$
DECLARE
    current_on_hand bigint;
    last_balance bigint;
BEGIN
    SELECT on_hand INTO current_on_hand FROM inventory_stocklevel WHERE id = NEW.id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT balance_after INTO last_balance FROM inventory_stockmovement
        WHERE product_id = NEW.product_id AND warehouse_id = NEW.warehouse_id
        ORDER BY id DESC LIMIT 1;
    IF COALESCE(last_balance, 0) <> current_on_hand THEN
        RAISE EXCEPTION USING
            MESSAGE = format('stock of product %s in warehouse %s is %s but its ledger says %s: '
                             'change stock through a movement (inventory.services), never directly',
                             NEW.product_id, NEW.warehouse_id, current_on_hand, COALESCE(last_balance, 0)),
            ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER inventory_stocklevel_follows_ledger
    AFTER UPDATE OF on_hand ON inventory_stocklevel
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (OLD.on_hand IS DISTINCT FROM NEW.on_hand)
    EXECUTE FUNCTION inventory_stocklevel_follows_ledger();
"""
DROP = """
DROP TRIGGER IF EXISTS inventory_stocklevel_follows_ledger ON inventory_stocklevel;
DROP FUNCTION IF EXISTS inventory_stocklevel_follows_ledger();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)  # format()'s %s are not query parameters


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0007_movement_pair_last_index")]
    operations = [migrations.RunPython(forwards, backwards)]
