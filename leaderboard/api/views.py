"""API views: each validates, calls the site's services and selectors, and serialises."""

from __future__ import annotations

import orjson
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework import mixins, parsers, permissions, renderers, routers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from leaderboard import access, downloads, kits, payloads, responses, selectors, services
from leaderboard.models import Benchmark, Score, Split, Submission, Track
from leaderboard.ratelimits import TokenThrottle, UploadThrottle

from . import filters, serializers
from .errors import Refused


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(serializers.ErrorSerializer) for code in codes}


class ZipRenderer(renderers.BaseRenderer):
    """Lets a client ask for ``application/zip``; errors still read as JSON."""

    media_type = "application/zip"
    format = "zip"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else renderers.JSONRenderer().render(data)


class CsvRenderer(renderers.BaseRenderer):
    """``?format=csv``: the leaderboard as the site's CSV download (lbclient's ``--csv``); errors still read as JSON."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else renderers.JSONRenderer().render(data)


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


class PublicViewSet(viewsets.ReadOnlyModelViewSet):
    """Public catalogue: anyone reads it, nobody writes it through the API."""

    permission_classes = [permissions.AllowAny]
    pagination_class = Pagination


def catalogue_schema(listed: type, detail: type | None = None):
    """Document the error bodies a list (bad page or filter) and a detail (unknown key) can answer."""
    return extend_schema_view(
        list=extend_schema(responses={200: listed(many=True), **errors(400, 404, 429)}),
        retrieve=extend_schema(responses={200: detail or listed, **errors(404, 429)}),
    )


@catalogue_schema(serializers.BenchmarkSerializer)
class BenchmarkViewSet(PublicViewSet):
    """Benchmarks: a protocol, its hidden splits and its tracks."""

    queryset = Benchmark.objects.prefetch_related("tracks", "splits")
    serializer_class = serializers.BenchmarkSerializer
    lookup_field = "slug"
    lookup_value_converter = "slug"
    filterset_class = filters.BenchmarkFilter
    ordering_fields = ["name", "slug", "created_at"]
    ordering = ["name"]


@catalogue_schema(serializers.SplitSerializer)
class SplitViewSet(PublicViewSet):
    """Splits: public metadata only; their ground truth is never served."""

    queryset = Split.objects.select_related("benchmark")
    serializer_class = serializers.SplitSerializer
    lookup_value_converter = "int"
    filterset_class = filters.SplitFilter
    ordering_fields = ["name", "image_count", "benchmark__name"]
    ordering = ["benchmark__name", "name"]


@catalogue_schema(serializers.TrackSerializer, serializers.TrackDetailSerializer)
class TrackViewSet(PublicViewSet):
    """Tracks: what is ranked on which split, the submission limits and the leaderboard."""

    queryset = Track.objects.select_related("benchmark", "split")
    lookup_field = "slug"
    lookup_value_converter = "slug"
    filterset_class = filters.TrackFilter
    ordering_fields = ["name", "slug", "opens_at", "closes_at"]
    ordering = ["benchmark__name", "name"]

    def get_serializer_class(self):
        return serializers.TrackSerializer if self.action == "list" else serializers.TrackDetailSerializer

    @extend_schema(
        summary="A track's leaderboard",
        description="One row per participant, ranked as on the track's page. The private (full) subset can be "
        "asked for only once the hosts have revealed it.",
        parameters=[serializers.LeaderboardQuerySerializer],
        responses={
            (200, "application/json"): serializers.LeaderboardSerializer,
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="?format=csv: the rows as the track's CSV download"
            ),
            **errors(400, 403, 404, 429),
        },
    )
    @action(
        detail=True,
        filter_backends=[],
        pagination_class=None,
        renderer_classes=[renderers.JSONRenderer, renderers.BrowsableAPIRenderer, CsvRenderer],
        # Not counted: the same board is the track page's unlimited download, and counting a read in
        # the cache cost more than serving its kept body.
        throttle_classes=[],
    )
    def leaderboard(self, request: Request, slug: str) -> HttpResponse:
        track = self.get_object()
        query = serializers.LeaderboardQuerySerializer(data=request.query_params, context={"track": track})
        query.is_valid(raise_exception=True)
        subset = query.validated_data.get("subset") or selectors.visible_subset(track)
        if subset == Score.Subset.FULL and not track.private_revealed:
            raise Refused("The private leaderboard is shown once the hosts reveal it.", field="subset", status_code=403)
        options = {name: query.validated_data.get(name) for name in ("sort", "strategy", "target_labels")}
        fmt = request.accepted_renderer.format
        body = downloads.leaderboard_body(track, "csv" if fmt == "csv" else "api", subset=subset, **options)
        if fmt in ("json", "csv"):
            return responses.serve(request, body)
        return Response(orjson.loads(body.content))

    @extend_schema(
        summary="A track's starter kit",
        description="A zip: images.json (every test image: id, file_name, width, height, domain), categories.json "
        "(id, name, supercategory), kit.json (what `python -m evaluator check --kit` needs), a sample submission "
        "in the track's format and FORMAT.md, the format guide. It holds no ground-truth box.",
        responses={(200, "application/zip"): OpenApiResponse(description="the kit zip"), **errors(404, 429)},
    )
    @action(
        detail=True,
        filter_backends=[],
        pagination_class=None,
        renderer_classes=[renderers.JSONRenderer, ZipRenderer],
    )
    def kit(self, request: Request, slug: str) -> HttpResponse:
        track = self.get_object()
        response = HttpResponse(kits.track_kit_zip(track), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{track.slug}-kit.zip"'
        return response


@extend_schema_view(
    list=extend_schema(
        summary="Your own submissions",
        responses={200: serializers.SubmissionSerializer(many=True), **errors(400, 401, 404, 429)},
    ),
    retrieve=extend_schema(
        summary="One submission: status, error message (yours only) and the scores you may see",
        responses={200: serializers.SubmissionDetailSerializer, **errors(404, 429)},
    ),
)
class SubmissionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Submissions: upload, poll, read the scores, cancel; the owner edits, hides and chooses."""

    parser_classes = [parsers.MultiPartParser, parsers.FormParser]
    lookup_value_converter = "int"
    filterset_class = filters.SubmissionFilter
    ordering_fields = ["created_at", "finished_at", "method_name", "status"]
    pagination_class = Pagination

    def get_queryset(self) -> QuerySet[Submission]:
        if getattr(self, "swagger_fake_view", False):
            return Submission.objects.none()
        if self.action == "list":
            return selectors.user_submissions(self.request.user).select_related("user")
        return Submission.objects.select_related("track__benchmark", "user")

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.SubmissionSerializer
        if self.action == "create":
            return serializers.SubmissionCreateSerializer
        return serializers.SubmissionDetailSerializer

    def filter_queryset(self, queryset: QuerySet[Submission]) -> QuerySet[Submission]:
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def get_permissions(self):
        if self.action in ("retrieve", "scores"):
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.action == "create":
            throttles.append(UploadThrottle())
        return throttles

    def get_parsers(self):
        # Edits are small JSON bodies; uploads stay multipart.
        if getattr(self, "request", None) is not None and self.request.method == "PATCH":
            return [parsers.JSONParser(), parsers.FormParser(), parsers.MultiPartParser()]
        return super().get_parsers()

    def get_object(self) -> Submission:
        submission = super().get_object()
        if not selectors.can_view_submission(self.request.user, submission):
            raise NotFound("No such submission.")
        return submission

    def retrieve(self, request: Request, *args, **kwargs) -> HttpResponse:
        body = payloads.submission_detail(request.user, self.get_object(), request.build_absolute_uri)
        if request.accepted_renderer.format == "json":
            return HttpResponse(orjson.dumps(body), content_type="application/json")
        return Response(body)

    def _owned(self, pk: str) -> Submission:
        submission = selectors.submission_get_for_owner(self.request.user, int(pk))
        if submission is None:
            raise NotFound("No such submission.")
        return submission

    def _detail(self, submission: Submission) -> Response:
        submission.refresh_from_db()
        return Response(serializers.SubmissionDetailSerializer(submission, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Edit your submission's method name, description and links, or hide it from the public board",
        request=serializers.SubmissionUpdateSerializer,
        responses={200: serializers.SubmissionDetailSerializer, **errors(400, 401, 404, 429)},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        submission = self._owned(pk)
        form = serializers.SubmissionUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        hidden = data.pop("is_hidden", None)
        if data:
            details = {name: data.get(name, getattr(submission, name)) for name in serializers.DETAIL_FIELDS}
            services.submission_update_details(submission=submission, **details)
        if hidden is not None:
            services.submission_set_hidden(submission=submission, hidden=hidden)
        return self._detail(submission)

    @extend_schema(
        summary="Make your scored submission the entry that counts (tracks where participants choose)",
        request=None,
        responses={200: serializers.SubmissionDetailSerializer, **errors(400, 401, 404, 429)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def choose(self, request: Request, pk: str) -> Response:
        submission = self._owned(pk)
        try:
            services.submission_select(submission=submission)
        except services.ActionRefused as exc:
            raise Refused(str(exc)) from None
        return self._detail(submission)

    @extend_schema(
        summary="Submit a results file",
        description="The same fields and checks as the site's upload form. Refusals (a malformed file, a closed "
        "track, the daily or total limit, a file already submitted) answer 400 with the site's message.",
        request={"multipart/form-data": serializers.SubmissionCreateSerializer},
        responses={201: serializers.SubmissionDetailSerializer, **errors(400, 401, 403, 429)},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        form = serializers.SubmissionCreateSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        track, upload = data.pop("track"), data.pop("file")
        try:
            submission = services.submission_create(user=request.user, track=track, upload=upload, **data)
        except services.SubmissionRefused as exc:
            raise Refused(str(exc), field="file") from None
        body = serializers.SubmissionDetailSerializer(submission, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})

    @extend_schema(
        summary="Per-class tables, curve data and, for transfer tracks, the derived metrics",
        responses={200: serializers.SubmissionScoresSerializer, **errors(404, 429)},
    )
    @action(detail=True, filter_backends=[], pagination_class=None)
    def scores(self, request: Request, pk: str) -> HttpResponse:
        kept = payloads.submission_scores(request.user, self.get_object())
        if request.accepted_renderer.format == "json":
            return payloads.serve_private(request, kept)
        return Response(orjson.loads(kept.content))

    @extend_schema(
        summary="Cancel your queued or running submission",
        request=None,
        responses={200: serializers.SubmissionDetailSerializer, **errors(401, 403, 404, 409, 429)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def cancel(self, request: Request, pk: str) -> Response:
        submission = self.get_object()
        if submission.user_id != request.user.pk:
            raise Refused("Only the participant who submitted it can cancel a submission.", status_code=403)
        if not services.submission_cancel(submission=submission):
            submission.refresh_from_db()
            raise Refused(
                f"Only a queued or running submission can be cancelled; this one is {submission.status}.",
                status_code=409,
            )
        submission.refresh_from_db()
        return Response(serializers.SubmissionDetailSerializer(submission, context=self.get_serializer_context()).data)


class TokenView(APIView):
    """Exchange a username and password for your API token (the one shown on your profile page)."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [TokenThrottle]
    parser_classes = [parsers.JSONParser, parsers.FormParser, parsers.MultiPartParser]

    @extend_schema(
        summary="Get your API token",
        request=AuthTokenSerializer,
        responses={200: serializers.TokenSerializer, **errors(400, 429)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        if access.login_limited(request):
            raise Throttled(detail="Too many password attempts from your address; wait a few minutes.")
        credentials = AuthTokenSerializer(data=request.data, context={"request": request})
        credentials.is_valid(raise_exception=True)
        token, _ = Token.objects.get_or_create(user=credentials.validated_data["user"])
        return Response({"token": token.key}, headers={"Cache-Control": "no-store"})


@login_required
@require_POST
def token_regenerate(request: HttpRequest) -> HttpResponse:
    """The profile page's button: a new token; the old one stops working at once."""
    with transaction.atomic():
        Token.objects.filter(user=request.user).delete()
        Token.objects.create(user=request.user)
    messages.success(request, "Your new API token is shown below; the old one no longer works.")
    return redirect("profile")


class ApiRootView(routers.APIRootView):
    """The API's entry point: every collection, and where the documentation and the schema are."""

    def get(self, request: Request, *args, **kwargs) -> Response:
        response = super().get(request, *args, **kwargs)
        response.data = {
            "docs": reverse("api:docs", request=request),
            "schema": reverse("api:schema", request=request),
            **response.data,
        }
        return response


@csrf_exempt
def not_found(request: HttpRequest) -> JsonResponse:
    """Unknown addresses under /api/v1/ answer in the API's error body, not with an HTML page."""
    return JsonResponse({"detail": "No such API endpoint; see /api/v1/docs/.", "errors": {}}, status=404)


class DocsView(SpectacularSwaggerView):
    """Swagger UI with its files served by this site (drf-spectacular-sidecar), never from a CDN."""

    url_name = "api:schema"

    @staticmethod
    def _swagger_ui_resource(filename: str) -> str:
        return static(f"drf_spectacular_sidecar/swagger-ui-dist/{filename}")

    @staticmethod
    def _swagger_ui_favicon() -> str:
        return static("drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png")
