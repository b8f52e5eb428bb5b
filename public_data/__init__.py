"""Facts about the public data sets stockcast reads (framework-free).

The product's importers (`inventory.ingest`) and the benchmarks' loaders (`forecasting.ml.data`)
clean the same files; what a data set's codes mean is written here once so that both clean
them alike. Nothing here imports Django or any app.
"""
