"""Query filters of the API's lists (django-filter)."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from leaderboard.models import PROTOCOL_CHOICES, Benchmark, Split, Strategy, Submission, Track


class BenchmarkFilter(django_filters.FilterSet):
    protocol = django_filters.ChoiceFilter(choices=PROTOCOL_CHOICES)

    class Meta:
        model = Benchmark
        fields = ["protocol", "is_demo"]


class SplitFilter(django_filters.FilterSet):
    benchmark = django_filters.CharFilter(field_name="benchmark__slug", help_text="Benchmark slug.")

    class Meta:
        model = Split
        fields = ["benchmark", "domain"]


class TrackFilter(django_filters.FilterSet):
    benchmark = django_filters.CharFilter(field_name="benchmark__slug", help_text="Benchmark slug.")
    protocol = django_filters.ChoiceFilter(field_name="benchmark__protocol", choices=PROTOCOL_CHOICES)
    kind = django_filters.ChoiceFilter(choices=Track.Kind.choices)
    is_open = django_filters.BooleanFilter(method="filter_open", help_text="Only tracks accepting submissions now.")

    class Meta:
        model = Track
        fields = ["benchmark", "protocol", "kind", "is_open"]

    def filter_open(self, queryset: QuerySet[Track], name: str, value: bool | None) -> QuerySet[Track]:
        if value is None:
            return queryset
        now = timezone.now()
        accepting = Q(opens_at__lte=now) & (Q(closes_at__isnull=True) | Q(closes_at__gt=now))
        return queryset.filter(accepting) if value else queryset.exclude(accepting)


class UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 time taken to UTC, so the database never sees an offset it cannot hold (PostgreSQL: ±15:59)."""

    def to_python(self, value: object) -> datetime.datetime | None:
        parsed = super().to_python(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        try:
            return parsed.astimezone(datetime.UTC)
        except OverflowError:
            raise forms.ValidationError("Enter a time between the years 1 and 9999 in UTC.", code="invalid") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class SubmissionFilter(django_filters.FilterSet):
    track = django_filters.CharFilter(field_name="track__slug", help_text="Track slug.")
    status = django_filters.ChoiceFilter(choices=Submission.Status.choices)
    strategy = django_filters.ChoiceFilter(choices=Strategy.choices)
    created_after = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Submission
        fields = ["track", "status", "strategy", "is_hidden", "created_after", "created_before"]
