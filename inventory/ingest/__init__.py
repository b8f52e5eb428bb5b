"""The sales import pipeline: format adapters -> validation report -> staging -> one upsert.

Modules, one job each:
  readers.py        files -> chunks of strings with line numbers (CSV/CSV.gz, Parquet, XLSX)
  parse.py          vectorised parsing that reports every bad value by line and column
  report.py         problems (refuse the file) and skips (not demand, counted by reason)
  catalogue.py      products / categories / warehouses met in the data (latest name wins)
  base.py           ImportOptions and what adapters share
  generic.py, online_retail.py, m5.py, wide.py   the formats (each documents its rules)
  regions.py        Online Retail country -> warehouse rule
  writer.py         staging table (COPY on PostgreSQL), catalogue, one upsert; the conflict rule
  loads.py          what was imported already: content digest, sales-write counter (skip unchanged)
  api.py            import_files(): the entry point, one transaction

Use: `from inventory.ingest.api import import_files`.
"""
