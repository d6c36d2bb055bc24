"""Serve plotly.js from the installed plotly package, so the site needs no CDN."""

from __future__ import annotations

from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_JS = "vendor/plotly.min.js"
_SOURCE = Path(plotly.__file__).parent / "package_data"


class PlotlyFinder(BaseFinder):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(_SOURCE))
        self.storage.prefix = "vendor"

    def find(self, path: str, find_all: bool = False, **kwargs):
        if path != PLOTLY_JS:
            return []  # as Django's finders answer: None would read as a match
        match = str(_SOURCE / "plotly.min.js")
        return [match] if find_all else match

    def list(self, ignore_patterns):
        yield "plotly.min.js", self.storage
