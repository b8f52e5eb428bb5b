"""The staff upload form of the sales import: format, one or more files, the import options."""
from pathlib import Path

from django import forms
from django.conf import settings

from inventory.import_models import ImportJob
from inventory.ingest.readers import kind_of


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that accepts several files (M5 comes as three; Online Retail as two sheets)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data] or single(None, initial)
        return [single(data, initial)]


class ImportUploadForm(forms.Form):
    format = forms.ChoiceField(choices=ImportJob.Format.choices)
    files = MultipleFileField(
        help_text="CSV, CSV.gz, Parquet or XLSX. M5: calendar.csv, sell_prices.csv and sales_train_*.csv together."
    )
    conflict = forms.ChoiceField(
        label="Days already stored",
        choices=[("replace", "Replace where the new figures differ"), ("skip", "Keep the stored figures")],
        initial="replace",
    )
    auto_create_warehouses = forms.BooleanField(
        required=False, initial=True, label="Create warehouses that do not exist yet"
    )
    default_warehouse = forms.CharField(
        required=False, max_length=32, help_text="For files without a warehouse column (wide tables; generic files)."
    )
    dry_run = forms.BooleanField(required=False, label="Dry run: validate and count, write nothing")

    def clean_files(self):
        files = self.cleaned_data["files"]
        limit = settings.STOCKCAST_MAX_UPLOAD_BYTES
        for upload in files:
            if upload.size > limit:
                raise forms.ValidationError(f"{upload.name} is larger than {limit // (1024 * 1024)} MB.")
            try:
                kind_of(Path(upload.name))
            except ValueError as exc:
                raise forms.ValidationError(str(exc)) from None
        return files
