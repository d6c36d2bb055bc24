from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("benchmarks/", views.benchmark_list, name="benchmarks"),
    path("benchmarks/<slug:slug>/", views.benchmark_detail, name="benchmark"),
    path("tracks/<slug:slug>/", views.track_detail, name="track"),
    path("tracks/<slug:slug>/compare/", views.track_compare, name="track-compare"),
    path("tracks/<slug:slug>/strategies/", views.track_strategies, name="track-strategies"),
    path("tracks/<slug:slug>/kit/", views.track_kit, name="track_kit"),
    path("formats/", views.formats, name="formats"),
    path("tracks/<slug:slug>/leaderboard.<str:fmt>", views.track_download, name="track-download"),
    path("submit/", views.submit, name="submit"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission"),
    path("submissions/<int:pk>/plots.json", views.submission_plots, name="submission-plots"),
    path("glossary/", views.glossary_page, name="glossary"),
    path("submissions/<int:pk>/status/", views.submission_status, name="submission-status"),
    path("submissions/<int:pk>/edit/", views.submission_edit, name="submission-edit"),
    path("submissions/<int:pk>/hide/", views.submission_hide, name="submission-hide"),
    path("submissions/<int:pk>/choose/", views.submission_choose, name="submission-choose"),
    path("submissions/<int:pk>/file/", views.submission_file, name="submission-file"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/login/", views.RateLimitedLoginView.as_view(), name="login"),
    path("accounts/password_reset/", views.password_reset, name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("leaderboard.api.urls")),
    path("admin/login/", views.admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
]
