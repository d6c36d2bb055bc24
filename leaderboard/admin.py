from django.contrib import admin, messages

from . import services
from .models import Benchmark, Score, Split, Submission, Track


@admin.register(Benchmark)
class BenchmarkAdmin(admin.ModelAdmin):
    list_display = ("name", "protocol", "is_demo")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Split)
class SplitAdmin(admin.ModelAdmin):
    list_display = ("name", "benchmark", "domain", "image_count", "public_fraction")
    list_filter = ("benchmark",)


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


@admin.action(description="Cancel (queued or running)")
def cancel_submissions(modeladmin, request, queryset):
    count = sum(services.submission_cancel(submission=s) for s in queryset)
    modeladmin.message_user(request, f"{count} submissions cancelled.", messages.SUCCESS)


@admin.action(description="Hide from leaderboards")
def hide_submissions(modeladmin, request, queryset):
    queryset.update(is_hidden=True)


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("method_name", "user", "track", "status", "is_baseline", "is_hidden", "created_at")
    list_filter = ("status", "track", "is_baseline", "is_hidden")
    search_fields = ("method_name", "user__username", "sha256")
    readonly_fields = ("sha256", "attempts", "started_at", "finished_at", "enqueued_at", "lease_expires_at")
    actions = [cancel_submissions, hide_submissions]


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    list_display = ("submission", "subset", "stage", "primary_value", "engine_version", "is_current", "created_at")
    list_filter = ("subset", "is_current")
    readonly_fields = ("stats", "per_class", "curves")
