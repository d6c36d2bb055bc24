"""What the API shows of each object; hidden paths and files never appear here."""

from __future__ import annotations

import math
from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from leaderboard import scoring, selectors, services
from leaderboard.models import (
    DESCRIPTION_MAX_LENGTH,
    URL_MAX_LENGTH,
    Benchmark,
    Score,
    Split,
    Strategy,
    Submission,
    Track,
    TransferScore,
)

NUMBER_MAP = {"type": "object", "additionalProperties": {"type": "number", "nullable": True}}


def _user(context: dict) -> Any:
    request = context.get("request")
    return request.user if request is not None else AnonymousUser()


def _page(context: dict, obj: Any) -> str:
    request = context.get("request")
    url = obj.get_absolute_url()
    return request.build_absolute_uri(url) if request is not None else url


class BenchmarkSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:benchmark-detail", lookup_field="slug")
    page = serializers.SerializerMethodField()
    tracks = serializers.SlugRelatedField(many=True, read_only=True, slug_field="slug")
    splits = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Benchmark
        fields = ["slug", "url", "page", "name", "protocol", "description", "citation", "is_demo", "tracks", "splits"]

    def get_page(self, obj: Benchmark) -> str:
        return _page(self.context, obj)


class SplitSerializer(serializers.ModelSerializer):
    """Public metadata of a split: where its ground truth lives is never shown."""

    url = serializers.HyperlinkedIdentityField(view_name="api:split-detail")
    benchmark = serializers.SlugRelatedField(read_only=True, slug_field="slug")

    class Meta:
        model = Split
        fields = ["id", "url", "benchmark", "name", "slug", "domain", "checksum", "image_count", "public_fraction"]


class TrackDomainSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    name = serializers.CharField()
    split = serializers.IntegerField(source="split_id")


class QuotaSerializer(serializers.Serializer):
    used_today = serializers.IntegerField()
    remaining_today = serializers.IntegerField()
    remaining_total = serializers.IntegerField()
    resets_at = serializers.DateTimeField()


class TrackSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:track-detail", lookup_field="slug")
    leaderboard = serializers.HyperlinkedIdentityField(view_name="api:track-leaderboard", lookup_field="slug")
    page = serializers.SerializerMethodField()
    benchmark = serializers.SlugRelatedField(read_only=True, slug_field="slug")
    protocol = serializers.CharField(read_only=True)
    is_open = serializers.SerializerMethodField()
    subset = serializers.SerializerMethodField(help_text="The subset the leaderboard shows: public until revealed.")

    class Meta:
        model = Track
        fields = [
            "slug", "url", "page", "leaderboard", "name", "benchmark", "protocol", "kind", "description", "split",
            "primary_metric", "higher_is_better", "opens_at", "closes_at", "is_open", "daily_limit", "total_limit",
            "selection", "private_revealed", "subset",
        ]  # fmt: skip  # a table: several entries a line

    def get_page(self, obj: Track) -> str:
        return _page(self.context, obj)

    def get_is_open(self, obj: Track) -> bool:
        return obj.is_open()

    def get_subset(self, obj: Track) -> str:
        return selectors.visible_subset(obj)


class TrackDetailSerializer(TrackSerializer):
    columns = serializers.SerializerMethodField(help_text="The stats shown on the leaderboard, in order.")
    stat_names = serializers.SerializerMethodField(help_text="Every stat a submission is scored with.")
    domains = serializers.SerializerMethodField(help_text="Transfer tracks: the domain sequence, source first.")
    matrix_metric = serializers.SerializerMethodField()
    quota = serializers.SerializerMethodField(help_text="Your submissions left (null when not logged in).")

    class Meta(TrackSerializer.Meta):
        fields = [*TrackSerializer.Meta.fields, "columns", "stat_names", "domains", "matrix_metric", "quota"]

    def get_columns(self, obj: Track) -> list[str]:
        return list(selectors.leaderboard_columns(obj))

    def get_stat_names(self, obj: Track) -> list[str]:
        return list(selectors.stat_names(obj))

    @extend_schema_field(TrackDomainSerializer(many=True))
    def get_domains(self, obj: Track) -> list[dict]:
        return TrackDomainSerializer(obj.domains.order_by("position"), many=True).data if obj.is_transfer else []

    def get_matrix_metric(self, obj: Track) -> str:
        return scoring.matrix_metric(obj) if obj.is_transfer else ""

    @extend_schema_field(QuotaSerializer(allow_null=True))
    def get_quota(self, obj: Track) -> dict | None:
        user = _user(self.context)
        if not user.is_authenticated:
            return None
        return QuotaSerializer(services.submission_quota(user=user, track=obj)).data


class LeaderboardQuerySerializer(serializers.Serializer):
    subset = serializers.ChoiceField(choices=Score.Subset.choices, required=False)
    sort = serializers.CharField(required=False, help_text="A stat name: rank by it instead of the primary metric.")
    strategy = serializers.ChoiceField(choices=Strategy.choices, required=False)
    target_labels = serializers.BooleanField(required=False, allow_null=True, default=None)

    def validate_sort(self, value: str) -> str:
        names = selectors.stat_names(self.context["track"])
        if value not in names:
            raise serializers.ValidationError(f"Unknown stat '{value}'; one of: {', '.join(names)}.")
        return value


class LeaderboardRowSerializer(serializers.Serializer):
    """The schema of one entry of selectors.leaderboard_entries, which the API returns as it is."""

    rank = serializers.IntegerField()
    submission = serializers.IntegerField()
    method = serializers.CharField()
    participant = serializers.CharField()
    strategy = serializers.CharField()
    uses_target_labels = serializers.BooleanField()
    baseline = serializers.BooleanField()
    simulated = serializers.BooleanField(help_text="Generated detections (demo data), not a real model's output.")
    submitted = serializers.DateTimeField()
    paper_url = serializers.CharField()
    code_url = serializers.CharField()
    ms_per_image = serializers.FloatField(allow_null=True)
    primary_value = serializers.FloatField(allow_null=True)
    stats = serializers.SerializerMethodField()
    matrix = serializers.SerializerMethodField(help_text="Transfer tracks: R[stage][domain].")

    @extend_schema_field(NUMBER_MAP)
    def get_stats(self, entry: dict) -> dict:
        return entry["stats"]

    @extend_schema_field({"type": "array", "items": {"type": "array", "items": {"type": "number", "nullable": True}}})
    def get_matrix(self, entry: dict) -> list:
        return entry["matrix"]


class LeaderboardSerializer(serializers.Serializer):
    track = serializers.CharField()
    subset = serializers.CharField()
    primary_metric = serializers.CharField()
    higher_is_better = serializers.BooleanField()
    columns = serializers.ListField(child=serializers.CharField())
    domains = serializers.ListField(child=serializers.CharField())
    rows = LeaderboardRowSerializer(many=True)


class SplitRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    domain = serializers.CharField()


class ScoreSummarySerializer(serializers.ModelSerializer):
    split = SplitRefSerializer()
    stats = serializers.JSONField()

    class Meta:
        model = Score
        fields = [
            "subset", "stage", "split", "protocol", "engine_version", "ground_truth_checksum", "primary_value", "stats",
        ]  # fmt: skip  # a table: several entries a line


class ScoreSerializer(ScoreSummarySerializer):
    per_class = serializers.JSONField(help_text="One row per class: name, metrics, num_gt, num_det.")
    curves = serializers.JSONField(help_text="Curve data for plots, as documented by each protocol.")
    explorer = serializers.JSONField(help_text="Operating-point counts of the threshold explorer.")

    class Meta(ScoreSummarySerializer.Meta):
        fields = [*ScoreSummarySerializer.Meta.fields, "per_class", "curves", "explorer"]


class TransferScoreSerializer(serializers.ModelSerializer):
    stats = serializers.JSONField(help_text="The metrics derived from the stage x domain matrix.")
    matrix = serializers.JSONField(help_text="R[stage][domain], null where not given.")

    class Meta:
        model = TransferScore
        fields = ["subset", "engine_version", "domains", "matrix", "primary_value", "stats"]


def _sees_private_details(context: dict, submission: Submission) -> bool:
    user = _user(context)
    return user.is_authenticated and (user.pk == submission.user_id or user.is_staff)


class SubmissionSerializer(serializers.ModelSerializer):
    """A submission as its viewer may see it; the error, file name and checksum only to its owner and hosts."""

    url = serializers.HyperlinkedIdentityField(view_name="api:submission-detail")
    page = serializers.SerializerMethodField()
    track = serializers.SlugRelatedField(read_only=True, slug_field="slug")
    participant = serializers.CharField(source="user.username", read_only=True)
    paper_url = serializers.CharField(read_only=True, help_text="A URL, or empty.")
    code_url = serializers.CharField(read_only=True, help_text="A URL, or empty.")
    finished = serializers.BooleanField(source="is_finished", read_only=True)
    error_message = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField(
        help_text="What the upload check noticed but scored anyway, such as degenerate boxes (owner and hosts only)."
    )
    original_filename = serializers.SerializerMethodField()
    sha256 = serializers.SerializerMethodField()

    class Meta:
        model = Submission
        fields = [
            "id", "url", "page", "track", "participant", "method_name", "description", "paper_url", "code_url",
            "strategy", "uses_target_labels", "parameters_millions", "replay_samples", "adaptation_gpu_hours",
            "ms_per_image", "is_baseline", "is_simulated", "is_hidden", "is_selected", "status", "finished",
            "error_message", "warnings", "original_filename", "sha256", "created_at", "started_at", "finished_at",
        ]  # fmt: skip  # a table: several entries a line
        read_only_fields = fields

    def get_page(self, obj: Submission) -> str:
        return _page(self.context, obj)

    def get_error_message(self, obj: Submission) -> str:
        return obj.error_message if _sees_private_details(self.context, obj) else ""

    def get_warnings(self, obj: Submission) -> list[str]:
        return list(obj.warnings) if _sees_private_details(self.context, obj) else []

    def get_original_filename(self, obj: Submission) -> str:
        return obj.original_filename if _sees_private_details(self.context, obj) else ""

    def get_sha256(self, obj: Submission) -> str:
        return obj.sha256 if _sees_private_details(self.context, obj) else ""


class SubmissionDetailSerializer(SubmissionSerializer):
    scores_url = serializers.HyperlinkedIdentityField(view_name="api:submission-scores")
    scores = serializers.SerializerMethodField(help_text="The public score until the hosts reveal the private one.")
    transfer_scores = serializers.SerializerMethodField()

    class Meta(SubmissionSerializer.Meta):
        fields = [*SubmissionSerializer.Meta.fields, "scores_url", "scores", "transfer_scores"]
        read_only_fields = fields

    @extend_schema_field(ScoreSummarySerializer(many=True))
    def get_scores(self, obj: Submission) -> list:
        scores = selectors.visible_scores(_user(self.context), obj, plot_data=False)
        return ScoreSummarySerializer(scores, many=True).data

    @extend_schema_field(TransferScoreSerializer(many=True))
    def get_transfer_scores(self, obj: Submission) -> list:
        return TransferScoreSerializer(selectors.visible_transfer_scores(_user(self.context), obj), many=True).data


class SubmissionScoresSerializer(serializers.Serializer):
    submission = serializers.IntegerField(source="submission.pk")
    status = serializers.CharField(source="submission.status")
    stat_names = serializers.ListField(child=serializers.CharField())
    scores = ScoreSerializer(many=True)
    transfer_scores = TransferScoreSerializer(many=True)


class FiniteFloatField(serializers.FloatField):
    """Like the browser form's FloatField: NaN and infinity are not numbers a participant can report."""

    def to_internal_value(self, data: Any) -> float:
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


class HttpsURLField(serializers.URLField):
    """Like the browser form: an address given without a scheme is taken as https."""

    def to_internal_value(self, data: Any) -> str:
        text = str(data).strip()
        if text and "://" not in text:
            text = f"https://{text}"
        return super().to_internal_value(text)


@extend_schema_field({"type": "string", "format": "binary"})
class UploadField(serializers.FileField):
    """An uploaded file, described as binary content in the schema."""


class SubmissionCreateSerializer(serializers.Serializer):
    """The fields of the browser's submission form (leaderboard.forms.SubmissionForm), the track by slug."""

    track = serializers.SlugRelatedField(slug_field="slug", queryset=Track.objects.select_related("benchmark"))
    method_name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=DESCRIPTION_MAX_LENGTH)
    paper_url = HttpsURLField(required=False, allow_blank=True, default="", max_length=URL_MAX_LENGTH)
    code_url = HttpsURLField(required=False, allow_blank=True, default="", max_length=URL_MAX_LENGTH)
    strategy = serializers.ChoiceField(choices=Strategy.choices, default=Strategy.AS_IS)
    uses_target_labels = serializers.BooleanField(required=False, default=False)
    parameters_millions = FiniteFloatField(required=False, allow_null=True, min_value=0, default=None)
    replay_samples = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=2**31 - 1, default=None
    )
    adaptation_gpu_hours = FiniteFloatField(required=False, allow_null=True, min_value=0, default=None)
    ms_per_image = FiniteFloatField(required=False, allow_null=True, min_value=0, default=None)
    file = UploadField(
        allow_empty_file=True, help_text="COCO results JSON, VOC per-class files (zip), KITTI label files (zip)."
    )


DETAIL_FIELDS = ("method_name", "description", "paper_url", "code_url")


class SubmissionUpdateSerializer(serializers.Serializer):
    """What the owner may change after uploading (the profile page's edit and hide); every field optional."""

    method_name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    paper_url = HttpsURLField(required=False, allow_blank=True, max_length=URL_MAX_LENGTH)
    code_url = HttpsURLField(required=False, allow_blank=True, max_length=URL_MAX_LENGTH)
    is_hidden = serializers.BooleanField(required=False, help_text="Left off the public leaderboard and pages.")


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
