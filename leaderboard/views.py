"""Pages: each view validates, calls one service or selector, and renders."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, PasswordResetView
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

import evaluator
import evaluator.guide
from evaluator.protocols import get_spec

from . import access, charts, downloads, glossary, kits, memo, payloads, responses, scoring, selectors, services
from .forms import TRANSFER_ONLY, SignupForm, SubmissionDetailsForm, SubmissionForm
from .models import Benchmark, Strategy, Submission, Track
from .ratelimits import limited


def home(request: HttpRequest) -> HttpResponse:
    key = selectors.home_key()
    return _kept_page(request, memo.pages, key, lambda: _home(request, key))


def _home(request: HttpRequest, key: tuple) -> HttpResponse:
    cards = memo.boards.get(
        key,
        lambda: mark_safe(
            render_to_string("includes/home_cards.html", {"summaries": selectors.home_tracks()}, request)
        ),
    )
    return render(request, "leaderboard/home.html", {"cards": cards})


def _kept_page(request: HttpRequest, store: memo.Memo, key: object, render: Callable[[], HttpResponse]) -> HttpResponse:
    """``render()`` for a reader with a session; for the others, the page kept in ``store`` under ``key``
    and the address."""
    if not responses.shared_reader(request):
        return render()
    page = store.get(responses.page_key(request, key), lambda: _page_body(render()))
    return responses.serve(request, page, vary_cookie=True)


def _page_body(response: HttpResponse) -> responses.Body:
    return responses.body(response.content, response["Content-Type"])


def benchmark_detail(request: HttpRequest, slug: str) -> HttpResponse:
    benchmark = get_object_or_404(selectors.benchmarks(), slug=slug)
    return render(request, "leaderboard/benchmark.html", {"benchmark": benchmark})


# Rows per page of a track's leaderboard; the CSV and JSON downloads carry every row.
LEADERBOARD_PAGE_SIZE = 100


def _filters(request: HttpRequest) -> dict:
    return {
        "sort": request.GET.get("sort"),
        "strategy": request.GET.get("strategy") if request.GET.get("strategy") in Strategy.values else None,
        "target_labels": {"yes": True, "no": False}.get(request.GET.get("target_labels", "")),
    }


def _ranked(request: HttpRequest, track: Track) -> list:
    return selectors.leaderboard(track=track, **_filters(request))


def track_detail(request: HttpRequest, slug: str) -> HttpResponse:
    track = get_object_or_404(Track.objects.select_related("benchmark", "split"), slug=slug)
    return _kept_page(request, memo.pages, selectors.track_page_key(track), lambda: _track_page(request, track))


def _track_page(request: HttpRequest, track: Track) -> HttpResponse:
    ranked = _ranked(request, track)
    page = Paginator(ranked, LEADERBOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    sort = request.GET.get("sort")
    board = {
        "track": track,
        "rows": rows,
        "page": page,
        "first_rank": page.start_index(),
        "stats": selectors.leaderboard_columns(track),
        "self_reported": selectors.SELF_REPORTED if track.is_transfer else (),
        "sort": sort if sort in selectors.stat_names(track) else None,
        "show_speed": any(row.submission.ms_per_image is not None for row in rows),
    }
    # The table is most of the page's rendering: kept until the board changes, per query string.
    table = memo.boards.get(
        selectors.board_key(track, "html", request.GET.urlencode()),
        lambda: mark_safe(render_to_string("includes/leaderboard_table.html", board, request)),
    )
    context = {
        **board,
        "board_table": table,
        "top": ranked[:3],
        "strategies": Strategy.choices,
        "strategy": _filters(request)["strategy"],
        "target_labels": request.GET.get("target_labels", ""),
        "domains": list(track.domains.order_by("position")) if track.is_transfer else [],
        "matrix_metric": scoring.matrix_metric(track) if track.is_transfer else "",
        "subset": selectors.visible_subset(track),
        "challenge": selectors.track_challenge(track=track, quota=_quota(request, track)),
        "site_url": _site_url(request),
    }
    return render(request, "leaderboard/track.html", context)


def _quota(request: HttpRequest, track: Track) -> services.Quota | None:
    return services.submission_quota(user=request.user, track=track) if request.user.is_authenticated else None


def _site_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


# ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
_ID = re.compile(r"[0-9]{1,18}")


def track_compare(request: HttpRequest, slug: str) -> HttpResponse:
    track = get_object_or_404(Track.objects.select_related("benchmark"), slug=slug, kind=Track.Kind.ACCURACY)
    given = request.GET.getlist("id")
    bad = next((v for v in given if not _ID.fullmatch(v)), None)
    if bad is not None:
        return _refused(request, f"id={bad!r} is not a submission number; compare takes ?id=<number>.", status=400)
    ids = [int(v) for v in given]
    scores = selectors.compared_scores(track, request.user, ids)
    classes = [row["name"] for row in scores[0].per_class] if scores else []
    metric = next(iter(scores[0].per_class[0]["metrics"]), None) if scores and scores[0].per_class else None
    table = []
    for k, name in enumerate(classes):
        values = [score.per_class[k]["metrics"].get(metric) if k < len(score.per_class) else None for score in scores]
        first = values[0]
        table.append(
            {
                "name": name,
                "values": values,
                "differences": [None if v is None or first is None else v - first for v in values[1:]],
            }
        )
    plot = charts.compare_plot(scores)
    candidates = selectors.leaderboard_rows(track=track)[:50]
    context = {
        "track": track,
        "scores": scores,
        "metric": metric,
        "table": table,
        "plot": plot,
        "candidates": candidates,
        "chosen": {score.submission_id for score in scores},
        "max_compared": selectors.MAX_COMPARED,
        "spec": get_spec(track.protocol),
    }
    return render(request, "leaderboard/compare.html", context)


def track_strategies(request: HttpRequest, slug: str) -> HttpResponse:
    track = get_object_or_404(Track.objects.select_related("benchmark"), slug=slug, kind=Track.Kind.TRANSFER)
    points = selectors.transfer_points(track)
    plot = charts.strategy_plot(track, points)
    context = {
        "track": track,
        "summaries": selectors.strategy_summaries(track, points),
        "compared": selectors.COMPARED,
        "plot": plot,
        "subset": selectors.visible_subset(track),
    }
    return render(request, "leaderboard/strategies.html", context)


def track_download(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "json"):
        raise Http404("Leaderboards download as .csv or .json.")
    track = get_object_or_404(Track.objects.select_related("benchmark"), slug=slug)
    response = responses.serve(request, downloads.leaderboard_body(track, fmt, **_filters(request)))
    if fmt == "csv":
        response["Content-Disposition"] = f'attachment; filename="{track.slug}-leaderboard.csv"'
    return response


def track_kit(request: HttpRequest, slug: str) -> HttpResponse:
    """The starter kit: images.json, categories.json, a sample submission and the format guide."""
    track = get_object_or_404(Track.objects.select_related("benchmark", "split__benchmark"), slug=slug)
    response = HttpResponse(kits.track_kit_zip(track), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{track.slug}-kit.zip"'
    return response


def formats(request: HttpRequest) -> HttpResponse:
    return render(request, "leaderboard/formats.html", {"sections": evaluator.guide.SECTIONS})


def _visible_submission(request: HttpRequest, pk: int) -> Submission:
    submission = get_object_or_404(Submission.objects.select_related("track__benchmark", "user"), pk=pk)
    if not selectors.can_view_submission(request.user, submission):
        raise Http404("No such submission.")
    return submission


def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _visible_submission(request, pk)
    shown = _submission_shown(request, submission)
    key = selectors.submission_page_key(shown)
    return _kept_page(request, memo.fragments, key, lambda: _submission_page(request, shown))


def _submission_shown(request: HttpRequest, submission: Submission) -> dict:
    """What the submission page shows of its scores, as ``request.user`` may see them."""
    scores = selectors.visible_scores(request.user, submission, plot_data=False)  # plots.json carries the rest
    transfer_scores = selectors.visible_transfer_scores(request.user, submission)
    track = submission.track
    lead = transfer_scores[0] if transfer_scores else None
    return {
        "submission": submission,
        "track": track,
        "scores": scores,
        "lead_transfer": lead,
        "matrix_plot": charts.matrix_plot(lead, track) if lead else None,
        "matrix_metric": scoring.matrix_metric(track) if track.is_transfer else "",
        "summary": selectors.submission_summary(request.user, submission, scores, transfer_scores),
        "spec": get_spec(track.protocol),
    }


def _submission_page(request: HttpRequest, shown: dict) -> HttpResponse:
    # The summary, curves and details are the same for every viewer shown these scores: rendered
    # once per key, without the request, so that nothing of one viewer's reaches another.
    body = (
        memo.fragments.get(
            selectors.submission_body_key(shown),
            lambda: mark_safe(render_to_string("includes/submission_body.html", shown)),
        )
        if shown["summary"]
        else ""
    )
    submission = shown["submission"]
    context = {
        **shown,
        "body": body,
        "history": selectors.score_history(submission) if request.user.is_staff else [],
        "is_owner": request.user.is_authenticated and request.user.pk == submission.user_id,
    }
    return render(request, "leaderboard/submission.html", context)


@require_GET
def submission_plots(request: HttpRequest, pk: int) -> HttpResponse:
    """One score's curves, explorer data and per-class table (``?score=`` any visible score;
    the first by default), kept out of the page's HTML and cached by ETag."""
    wanted = request.GET.get("score", "")
    score_id = int(wanted) if wanted.isascii() and wanted.isdigit() else None
    plots = payloads.submission_plots(request.user, _visible_submission(request, pk), score_id)
    if plots is None:
        raise Http404("No scores to plot.")
    return payloads.serve_private(request, plots)


def glossary_page(request: HttpRequest) -> HttpResponse:
    return render(request, "leaderboard/glossary.html", {"groups": glossary.grouped()})


def _owned_submission(request: HttpRequest, pk: int) -> Submission:
    submission = selectors.submission_get_for_owner(request.user, pk)
    if submission is None:
        raise Http404("No such submission.")
    return submission


@login_required
def submission_edit(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _owned_submission(request, pk)
    initial = {name: getattr(submission, name) for name in SubmissionDetailsForm.base_fields}
    form = SubmissionDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.submission_update_details(submission=submission, **form.cleaned_data)
        messages.success(request, "Your changes are saved.")
        return redirect(submission)
    return render(request, "leaderboard/submission_edit.html", {"form": form, "submission": submission})


@login_required
@require_POST
def submission_hide(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _owned_submission(request, pk)
    services.submission_set_hidden(submission=submission, hidden=request.POST.get("hidden") == "1")
    return redirect("profile")


@login_required
@require_POST
def submission_choose(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _owned_submission(request, pk)
    try:
        services.submission_select(submission=submission)
    except services.ActionRefused as exc:
        messages.error(request, str(exc))
    return redirect("profile")


@login_required
def submission_file(request: HttpRequest, pk: int) -> FileResponse:
    submission = get_object_or_404(Submission, pk=pk)
    if not selectors.can_download_file(request.user, submission):
        raise Http404("No such submission.")
    return FileResponse(submission.file.open("rb"), as_attachment=True, filename=submission.original_filename)


@require_GET
def submission_status(request: HttpRequest, pk: int) -> JsonResponse:
    submission = _visible_submission(request, pk)
    return JsonResponse(
        {
            "id": submission.pk,
            "status": submission.status,
            "finished": submission.is_finished,
            "error": submission.error_message if submission.status == Submission.Status.FAILED else "",
            "counts_against_quota": services.submission_counts_against_quota(submission=submission),
        }
    )


def _too_large(request: HttpRequest) -> bool:
    # Checked on the declared length, before Django reads the body to disk.
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > settings.MAX_UPLOAD_MB * 1024 * 1024 + 64 * 1024


def _refused(request: HttpRequest, reason: str, *, status: int) -> HttpResponse:
    return render(request, "leaderboard/refused.html", {"reason": reason}, status=status)


@login_required
def submit(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and _too_large(request):
        return _refused(
            request, f"The upload is larger than the limit of {settings.MAX_UPLOAD_MB} MB; it was not read.", status=413
        )
    if limited(request, group="upload", key="user", method="POST"):
        return _refused(request, "Too many uploads in a short time; wait a while and try again.", status=429)
    form = SubmissionForm(request.POST or None, request.FILES or None, initial={"track": request.GET.get("track")})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        track, upload = data.pop("track"), data.pop("file")
        try:
            submission = services.submission_create(user=request.user, track=track, upload=upload, **data)
        except services.SubmissionRefused as exc:
            form.add_error("file", str(exc))
        else:
            return redirect(submission)
    tracks = _submit_tracks(request)
    chosen = form.data.get("track") if form.is_bound else form["track"].initial
    chosen = str(chosen) if str(chosen) in tracks else next(iter(tracks), None)
    context = {
        "form": form,
        "tracks": tracks,
        "chosen": tracks.get(chosen),
        "dropped_file": request.FILES["file"].name if form.errors and "file" in request.FILES else "",
        "transfer_only": TRANSFER_ONLY,
    }
    return render(request, "leaderboard/submit.html", context)


def _submit_tracks(request: HttpRequest) -> dict[str, dict]:
    """Per track of the form: its kind, file format and the participant's quota, for the page's script."""
    tracks = {}
    for track in Track.objects.select_related("benchmark", "split"):
        quota = services.submission_quota(user=request.user, track=track)
        challenge = selectors.track_challenge(track=track)
        tracks[str(track.pk)] = {
            "name": track.name,
            "transfer": track.is_transfer,
            "phase": challenge.phase,
            "format": challenge.submission_format,
            "remaining_today": quota.remaining_today,
            "remaining_total": quota.remaining_total,
            "resets_at": f"{quota.resets_at:%Y-%m-%d %H:%M}",
            "page": track.get_absolute_url(),
        }
    return tracks


def signup(request: HttpRequest) -> HttpResponse:
    if limited(request, group="signup", key="ip", method="POST"):
        return _refused(request, "Too many sign-ups from your address; try later.", status=429)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user)
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


@never_cache  # it shows the API token: no copy may stay in a cache
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "leaderboard/profile.html", {"submissions": selectors.user_submissions(request.user)})


class RateLimitedLoginView(LoginView):
    """Django's log-in, with attempts limited per username and per address."""

    def get_context_data(self, **kwargs) -> dict:
        return {**super().get_context_data(**kwargs), "email_configured": settings.EMAIL_CONFIGURED}

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if access.login_limited(request):
            return _refused(request, LOGIN_REFUSED, status=429)
        return super().post(request, *args, **kwargs)


LOGIN_REFUSED = "Too many log-in attempts from your address; wait a few minutes."


def password_reset(request: HttpRequest) -> HttpResponse:
    """Django's password reset, offered only where the site can send the email it needs."""
    if not settings.EMAIL_CONFIGURED:
        return _refused(
            request, "This site sends no email, so it cannot reset passwords; ask its hosts for help.", status=404
        )
    return PasswordResetView.as_view()(request)


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's log-in, under the same limits as the site's."""
    if request.method == "POST" and access.login_limited(request):
        return _refused(request, LOGIN_REFUSED, status=429)
    return admin.site.login(request)


def benchmark_list(request: HttpRequest) -> HttpResponse:
    return render(request, "leaderboard/benchmarks.html", {"benchmarks": Benchmark.objects.all()})
