"""Static files under content-hashed names, compressed, in every mode the site runs in.

Django's manifest storage gives hashed URLs only when DEBUG is off; ``scripts/run.sh`` runs the
demo with DEBUG on, and pages then linked the plain names, which WhiteNoise must serve with
``max-age=0``. Hashed names are immutable: WhiteNoise serves them gzip-compressed with a
far-future ``Cache-Control``, DEBUG or not.
"""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False

    def url(self, name: str | None, force: bool = False) -> str:
        try:
            return super().url(name, force=True)
        except ValueError:
            # Not collected yet (tests, a fresh checkout under runserver): the plain name.
            return FileSystemStorage.url(self, name)
