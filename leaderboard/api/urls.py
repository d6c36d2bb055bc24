"""The REST API, versioned under /api/v1/; the token button of the profile page under /api/token/."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from . import views

app_name = "api"

router = DefaultRouter(use_regex_path=False)
router.APIRootView = views.ApiRootView
router.include_format_suffixes = False
router.register("benchmarks", views.BenchmarkViewSet, basename="benchmark")
router.register("splits", views.SplitViewSet, basename="split")
router.register("tracks", views.TrackViewSet, basename="track")
router.register("submissions", views.SubmissionViewSet, basename="submission")

urlpatterns = [
    path("v1/token/", views.TokenView.as_view(), name="token"),
    path("v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("v1/docs/", views.DocsView.as_view(), name="docs"),
    path("v1/", include(router.urls)),
    re_path(r"^v1/[\s\S]+/$", views.not_found),
    path("token/regenerate/", views.token_regenerate, name="token-regenerate"),
]
