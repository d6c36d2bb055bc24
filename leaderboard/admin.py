import tempfile
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest

import evaluator

from . import services
from .importing import split_import
from .models import Benchmark, Score, Split, Submission, Track, TrackDomain, TransferScore


class SplitImportForm(forms.ModelForm):
    """A new split comes from an uploaded ground-truth file, validated and imported like import_split."""

    source = forms.FileField(help_text="Ground truth: COCO JSON, VOC tar/zip, KITTI label_2 zip, KAIST JSON.")

    class Meta:
        model = Split
        fields = ("benchmark", "slug", "name", "domain", "public_fraction")

    def clean(self):
        data = super().clean()
        upload, benchmark = data.get("source"), data.get("benchmark")
        if upload is None or benchmark is None:
            return data
        self.folder = tempfile.TemporaryDirectory()
        self.source_path = Path(self.folder.name) / Path(upload.name).name
        with self.source_path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        try:
            evaluator.load_ground_truth(self.source_path, protocol=benchmark.protocol)
        except evaluator.InvalidInput as exc:
            raise forms.ValidationError(exc.message) from None
        return data


@admin.register(Benchmark)
class BenchmarkAdmin(admin.ModelAdmin):
    list_display = ("name", "protocol", "is_demo")
    fieldsets = [
        (None, {"fields": ("name", "slug", "protocol", "is_demo")}),
        ("Data (shown on every track page, Markdown)", {"fields": ("description", "data_source", "citation")}),
        ("Licence", {"fields": ("licence", "licence_url")}),
    ]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Split)
class SplitAdmin(admin.ModelAdmin):
    list_display = ("name", "benchmark", "domain", "image_count", "public_fraction")
    list_filter = ("benchmark",)
    readonly_fields = ("ground_truth_path", "checksum", "image_count")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = SplitImportForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("benchmark", "slug", "name", "domain", "public_fraction", "source")
        return super().get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        try:
            report = split_import(
                source=form.source_path,
                benchmark=obj.benchmark,
                slug=obj.slug,
                name=obj.name,
                domain=obj.domain,
                public_fraction=obj.public_fraction,
            )
        finally:
            form.folder.cleanup()
        obj.__dict__.update({f.attname: getattr(report.split, f.attname) for f in Split._meta.concrete_fields})
        self.message_user(
            request, f"Imported {report.images} images (sha256 {report.checksum[:12]}).", messages.SUCCESS
        )


class TrackDomainInline(admin.TabularInline):
    model = TrackDomain
    extra = 0
    fields = ("position", "name", "split", "label_map")


@admin.action(description="Rescore every scored submission (old scores kept as history)")
def rescore_tracks(modeladmin, request, queryset):
    count = sum(services.track_rescore(track=track) for track in queryset)
    modeladmin.message_user(request, f"{count} submissions queued for rescoring.", messages.SUCCESS)


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ("name", "benchmark", "kind", "primary_metric", "private_revealed", "opens_at", "closes_at")
    list_filter = ("benchmark", "kind", "private_revealed")
    prepopulated_fields = {"slug": ("name",)}
    actions = [rescore_tracks]
    inlines = [TrackDomainInline]
    fieldsets = [
        (None, {"fields": ("benchmark", "split", "name", "slug", "kind")}),
        (
            "Challenge page (Markdown)",
            {
                "fields": ("description", "evaluation", "rules"),
                "description": "The track page adds the metric, the dates, the quotas and the kit on its own.",
            },
        ),
        ("Ranking", {"fields": ("primary_metric", "higher_is_better", "matrix_metric", "selection")}),
        ("Dates and limits", {"fields": ("opens_at", "closes_at", "daily_limit", "total_limit", "private_revealed")}),
    ]


@admin.action(description="Cancel (queued or running)")
def cancel_submissions(modeladmin, request, queryset):
    count = sum(services.submission_cancel(submission=s) for s in queryset)
    modeladmin.message_user(request, f"{count} submissions cancelled.", messages.SUCCESS)


@admin.action(description="Hide from leaderboards")
def hide_submissions(modeladmin, request, queryset):
    queryset.update(is_hidden=True)


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("method_name", "user", "track", "status", "is_baseline", "is_simulated", "is_hidden", "created_at")
    list_filter = ("status", "track", "is_baseline", "is_simulated", "is_hidden")
    search_fields = ("method_name", "user__username", "sha256")
    readonly_fields = ("sha256", "attempts", "started_at", "finished_at", "enqueued_at", "lease_expires_at")
    actions = [cancel_submissions, hide_submissions]


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    list_display = ("submission", "subset", "stage", "primary_value", "engine_version", "is_current", "created_at")
    list_filter = ("subset", "is_current")
    readonly_fields = ("stats", "per_class", "curves", "explorer")

    def has_change_permission(self, request: HttpRequest, obj: Score | None = None) -> bool:
        return False  # a score row never changes once written: pages and API bodies are kept by its id


@admin.register(TransferScore)
class TransferScoreAdmin(admin.ModelAdmin):
    list_display = ("submission", "subset", "primary_value", "engine_version", "is_current", "created_at")
    list_filter = ("subset", "is_current")
    readonly_fields = ("domains", "matrix", "stats")

    def has_change_permission(self, request: HttpRequest, obj: TransferScore | None = None) -> bool:
        return False  # as scores: kept by their id
