"""No customer identifier anywhere: not in the schema, not in any stored value, not in job reports."""
import re

import pandas as pd
import pytest
from django.apps import apps
from django.db import connection

from inventory.ingest.api import import_files
from inventory.ingest.online_retail import COLUMNS
from inventory.ingest.writer import FACT_COLUMNS

from .test_ingest_support import online_retail_slices

pytestmark = pytest.mark.django_db
CUSTOMER = re.compile(r"customer|client|buyer", re.I)


def test_no_model_and_no_table_has_a_customer_column():
    for model in apps.get_models():
        assert not [f.name for f in model._meta.get_fields() if CUSTOMER.search(f.name)], model
    with connection.cursor() as cur:
        for table in connection.introspection.table_names(cur):
            columns = [c.name for c in connection.introspection.get_table_description(cur, table)]
            assert not [c for c in columns if CUSTOMER.search(c)], table
    assert not [c for c in COLUMNS + FACT_COLUMNS if CUSTOMER.search(c)]


def test_no_customer_id_value_is_stored_anywhere(data_dir, tmp_path):
    first, second = online_retail_slices(data_dir, tmp_path)
    sheet = pd.read_csv(first, dtype=str, keep_default_na=False)
    ids = set(sheet["Customer ID"]) - {""}
    assert len(ids) > 50
    # "13085.0" as in the file and "13085"; a few ids are also stock codes (16016): those are products.
    forms = (ids | {i.removesuffix(".0") for i in ids}) - set(sheet.StockCode)
    summary = import_files("online_retail", [first, second])
    assert summary.days_inserted > 0
    with connection.cursor() as cur:
        for table in connection.introspection.table_names(cur):
            description = connection.introspection.get_table_description(cur, table)
            names = [c.name for c in description]
            cur.execute(f'SELECT * FROM "{table}"')
            for row in cur.fetchall():
                for name, value in zip(names, row):
                    if isinstance(value, str):
                        assert value not in forms, (table, name, value)
