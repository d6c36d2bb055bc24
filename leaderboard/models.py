"""Benchmarks, their hidden splits, tracks, submissions and scores."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from evaluator import transfer
from evaluator.protocols.spec import SPECS, get_spec

from .fields import CompressedJSONField

PROTOCOL_CHOICES = [(spec.name, spec.title) for spec in SPECS.values()]


class Benchmark(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)
    protocol = models.CharField(max_length=10, choices=PROTOCOL_CHOICES)
    description = models.TextField(blank=True)
    citation = models.TextField(blank=True)
    data_source = models.TextField(
        blank=True, help_text="Markdown: where the images and labels come from, and how the test split was made."
    )
    licence = models.CharField(max_length=200, blank=True, help_text="e.g. CC BY 4.0")
    licence_url = models.URLField(blank=True)
    is_demo = models.BooleanField(default=False, help_text="Generated data, labelled as demo on every page.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("benchmark", args=[self.slug])


class Split(models.Model):
    """One hidden ground-truth set. Its file lives under GROUND_TRUTH_ROOT, never in media."""

    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="splits")
    name = models.CharField(max_length=100)
    slug = models.SlugField()
    domain = models.CharField(max_length=50, blank=True, help_text="e.g. day, dawn-dusk, night")
    ground_truth_path = models.CharField(max_length=500, help_text="Relative to GROUND_TRUTH_ROOT.")
    checksum = models.CharField(max_length=64, help_text="sha256 of the ground-truth file.")
    image_count = models.PositiveIntegerField(default=0)
    public_fraction = models.FloatField(default=0.5, help_text="Share of images scored on the public leaderboard.")
    public_seed = models.CharField(
        max_length=100,
        editable=False,
        help_text="Secret seed of the public/private rule (evaluator.subsets), random at import; "
        "never shown: whoever knows it can tell the private images from the public ones.",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["benchmark", "slug"], name="split_unique_slug")]

    def __str__(self) -> str:
        return f"{self.benchmark.name} / {self.name}"


class Track(models.Model):
    class Kind(models.TextChoices):
        ACCURACY = "accuracy", "Accuracy"
        TRANSFER = "transfer", "Transfer"

    class Selection(models.TextChoices):
        BEST = "best", "Best submission"
        LATEST = "latest", "Latest submission"
        SELECTED = "selected", "Submission chosen by the participant"

    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="tracks")
    split = models.ForeignKey(Split, on_delete=models.PROTECT, related_name="tracks")
    name = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ACCURACY)
    description = models.TextField(blank=True, help_text="Markdown: the overview at the top of the track page.")
    evaluation = models.TextField(
        blank=True, help_text="Markdown, shown under the metric and protocol the page explains on its own."
    )
    rules = models.TextField(blank=True, help_text="Markdown, shown under the quotas and selection rule.")
    primary_metric = models.CharField(max_length=40, help_text="A stat name of the protocol, e.g. AP or MR_all.")
    higher_is_better = models.BooleanField(default=True)
    opens_at = models.DateTimeField(default=timezone.now)
    closes_at = models.DateTimeField(null=True, blank=True)
    daily_limit = models.PositiveIntegerField(default=5)
    total_limit = models.PositiveIntegerField(default=100)
    selection = models.CharField(max_length=10, choices=Selection.choices, default=Selection.BEST)
    private_revealed = models.BooleanField(default=False, help_text="Show scores on the full (private) split.")
    matrix_metric = models.CharField(
        max_length=40,
        blank=True,
        help_text="Transfer tracks: the protocol stat that fills the stage x domain matrix (default: its primary).",
    )
    leaderboard_version = models.PositiveBigIntegerField(
        default=0,
        editable=False,
        help_text="Raised by database triggers (leaderboard/triggers.py) on every write that can change a ranking.",
    )

    class Meta:
        ordering = ["benchmark__name", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("track", args=[self.slug])

    @property
    def protocol(self) -> str:
        return self.benchmark.protocol

    def is_open(self, now=None) -> bool:
        return self.phase(now) == "open"

    def phase(self, now=None) -> str:
        """upcoming, open or closed."""
        now = now or timezone.now()
        if now < self.opens_at:
            return "upcoming"
        return "open" if self.closes_at is None or now < self.closes_at else "closed"

    @property
    def is_transfer(self) -> bool:
        return self.kind == self.Kind.TRANSFER

    def stat_higher_is_better(self, name: str) -> bool:
        """Whether a larger value of ``name`` (a stat of the protocol, or on a transfer track a transfer figure) is better."""
        spec = get_spec(self.protocol)
        if not self.is_transfer:
            return spec.higher_is_better(name)
        engine = spec.engine()
        matrix = self.matrix_metric if self.matrix_metric in engine.STAT_NAMES else engine.PRIMARY
        return transfer.metric_higher_is_better(name, matrix_higher_is_better=spec.higher_is_better(matrix))

    def clean(self) -> None:
        """The primary metric must be one the track ranks (a stat of its protocol's spec, or a transfer metric),
        and ``higher_is_better`` its direction."""
        super().clean()
        if not self.benchmark_id:
            return
        spec = get_spec(self.protocol)
        names = transfer.METRIC_NAMES if self.is_transfer else spec.stat_names
        errors = {}
        if self.primary_metric not in names:
            errors["primary_metric"] = (
                f"{self.primary_metric!r} is not a stat of this track; choose one of {', '.join(names)}."
            )
        elif self.higher_is_better != (higher := self.stat_higher_is_better(self.primary_metric)):
            errors["higher_is_better"] = (
                f"A {'higher' if higher else 'lower'} {self.primary_metric} is better: {'tick' if higher else 'untick'} it."
            )
        if self.matrix_metric and self.matrix_metric not in spec.stat_names:
            errors["matrix_metric"] = (
                f"{self.matrix_metric!r} is not a stat of {spec.name}; choose one of {', '.join(spec.stat_names)}."
            )
        if errors:
            raise ValidationError(errors)


class TrackDomain(models.Model):
    """One domain of a transfer track's sequence: position 1 is the source, the last the target."""

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="domains")
    split = models.ForeignKey(Split, on_delete=models.PROTECT, related_name="track_domains")
    position = models.PositiveSmallIntegerField()
    name = models.SlugField(help_text="As written in submission archives: stage1/<name>.json")
    label_map = models.JSONField(
        default=dict,
        blank=True,
        help_text="Cross-dataset tracks: the source's category name -> this domain's class name; "
        "predictions of unmapped categories are dropped. Empty: predictions use this domain's classes.",
    )

    class Meta:
        ordering = ["track", "position"]
        constraints = [
            models.UniqueConstraint(fields=["track", "position"], name="domain_position_unique"),
            models.UniqueConstraint(fields=["track", "name"], name="domain_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.track.slug} {self.position}: {self.name}"


class Strategy(models.TextChoices):
    AS_IS = "as-is", "Use as-is"
    FINE_TUNING = "fine-tuning", "Fine-tuning"
    FROZEN_FEATURES = "frozen-features", "Feature extraction, frozen layers"
    SHARED_LATENT = "shared-latent", "Shared latent space"
    PSEUDO_LABELS = "pseudo-labels", "Pseudo-label self-training"
    LWF = "lwf", "Learning without forgetting"
    IMAGE_TRANSLATION = "image-translation", "Image-to-image translation"
    OTHER = "other", "Other"


# What participants write: long enough for an abstract, short enough for every page showing it.
DESCRIPTION_MAX_LENGTH = 5000
URL_MAX_LENGTH = 200


def submission_upload_to(instance: Submission, filename: str) -> str:
    return f"submissions/{instance.track_id}/{instance.sha256[:16]}/{filename}"


class Submission(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SCORED = "scored", "Scored"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="submissions")
    method_name = models.CharField(max_length=100)
    description = models.TextField(
        blank=True, max_length=DESCRIPTION_MAX_LENGTH, validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH)]
    )
    paper_url = models.URLField(blank=True, max_length=URL_MAX_LENGTH)
    code_url = models.URLField(blank=True, max_length=URL_MAX_LENGTH)
    strategy = models.CharField(max_length=20, choices=Strategy.choices, default=Strategy.AS_IS)
    uses_target_labels = models.BooleanField(default=False)
    parameters_millions = models.FloatField(null=True, blank=True, help_text="Self-reported.")
    replay_samples = models.PositiveIntegerField(null=True, blank=True, help_text="Self-reported.")
    adaptation_gpu_hours = models.FloatField(null=True, blank=True, help_text="Self-reported.")
    ms_per_image = models.FloatField(null=True, blank=True, help_text="Self-reported inference time.")
    is_baseline = models.BooleanField(default=False, help_text="Entered by the hosts as a point of comparison.")
    is_simulated = models.BooleanField(
        default=False, help_text="Generated detections (demo data), not a real model's output."
    )
    is_hidden = models.BooleanField(default=False, help_text="Hidden by the participant or a host.")
    is_selected = models.BooleanField(default=False, help_text="Chosen by the participant (tracks that select).")

    file = models.FileField(upload_to=submission_upload_to, max_length=300)
    original_filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    error_message = models.TextField(blank=True)
    warnings = models.JSONField(
        default=list, blank=True, help_text="What the upload check noticed but scores anyway (degenerate boxes)."
    )
    failed_by_user = models.BooleanField(default=False, help_text="The file was at fault (counts against quota).")
    attempts = models.PositiveIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["track", "user", "created_at"])]

    def __str__(self) -> str:
        return f"{self.method_name} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("submission", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SCORED, self.Status.FAILED, self.Status.CANCELLED}


class SubmissionQuota(models.Model):
    """One row per participant and track, locked while an upload is counted and saved.

    Counting then saving is a race between parallel uploads; ``submission_create`` takes this
    row with SELECT ... FOR UPDATE first, so uploads of one participant to one track queue up.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "track"], name="quota_one_per_user_track")]

    def __str__(self) -> str:
        return f"quota {self.user_id} / {self.track_id}"


class Score(models.Model):
    """Every figure of one scoring of one submission on one split (public part or full)."""

    class Subset(models.TextChoices):
        PUBLIC = "public", "Public"
        FULL = "full", "Full (private)"

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="scores")
    split = models.ForeignKey(Split, on_delete=models.PROTECT, related_name="scores")
    stage = models.PositiveSmallIntegerField(default=1)
    subset = models.CharField(max_length=10, choices=Subset.choices)
    protocol = models.CharField(max_length=10)
    engine_version = models.CharField(max_length=20)
    ground_truth_checksum = models.CharField(max_length=64)
    primary_value = models.FloatField(null=True, db_index=True)
    stats = models.JSONField(default=dict)
    per_class = CompressedJSONField(default=list, float32=False, help_text="Per-class results (compressed).")
    curves = CompressedJSONField(help_text="The plots' curve data (compressed).")
    explorer = CompressedJSONField(help_text="Operating-point counts for the threshold explorer (compressed).")
    interval_low = models.FloatField(null=True, blank=True, help_text="95% bootstrap interval of the primary metric.")
    interval_high = models.FloatField(null=True, blank=True)
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["stage", "subset"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "split", "stage", "subset"],
                condition=models.Q(is_current=True),
                name="score_one_current_per_cell",
            )
        ]
        indexes = [
            # Covers every column after the large JSON ones that a leaderboard reads: SQLite stores a
            # row's tail in overflow pages, and reading it from the table walks hundreds of them a row.
            models.Index(
                fields=["submission", "subset", "stage", "split", "interval_low", "interval_high", "created_at"],
                condition=models.Q(is_current=True),
                name="score_leaderboard_cover",
            )
        ]

    def __str__(self) -> str:
        return f"{self.submission_id} {self.subset} {self.primary_value}"


class TransferScore(models.Model):
    """The stage x domain matrix of a transfer submission and the metrics derived from it."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="transfer_scores")
    subset = models.CharField(max_length=10, choices=Score.Subset.choices)
    engine_version = models.CharField(max_length=20)
    domains = models.JSONField(default=list)
    matrix = models.JSONField(default=list, help_text="R[stage][domain], null where not given.")
    stats = models.JSONField(default=dict)
    primary_value = models.FloatField(null=True, db_index=True)
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "subset"], condition=models.Q(is_current=True), name="transfer_one_current"
            )
        ]

    def __str__(self) -> str:
        return f"{self.submission_id} {self.subset} {self.primary_value}"
