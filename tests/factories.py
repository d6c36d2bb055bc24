"""factory_boy factories: the participants and submissions tests make, in one place.

Submissions go through ``services.submission_create`` like an upload, so every check runs; pass
``scored=True`` to have the scoring task run on it too.
"""

from __future__ import annotations

import functools

import factory
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from leaderboard import demo, services, tasks
from leaderboard.models import Submission

DEMO_IMAGES = 40  # the generated split of the demo snapshots


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"participant{n}")
    password = factory.django.Password("a-long-password-1")


@functools.lru_cache(maxsize=4)
def demo_ground_truth(images: int = DEMO_IMAGES) -> dict:
    """The generated COCO-style split load_demo imports with ``--images images``; do not mutate it."""
    return demo.generate_ground_truth(images=images)


def simulated_results(*, profile: int = 1, seed: int = 1, images: int = DEMO_IMAGES, name: str = "results.json"):
    """An upload of a simulated detector's results on the generated split."""
    results = demo.simulate_detections(demo_ground_truth(images), demo.PROFILES[profile], seed=seed)
    return SimpleUploadedFile(name, demo.to_json_bytes(results), content_type="application/json")


class SubmissionFactory(factory.Factory):
    """Needs ``track``; the upload is a simulated detector's results (``profile``, ``seed``)."""

    class Meta:
        model = Submission

    class Params:
        profile = 1
        seed = 1

    user = factory.SubFactory(UserFactory)
    method_name = factory.Sequence(lambda n: f"Method {n}")
    upload = factory.LazyAttribute(lambda o: simulated_results(profile=o.profile, seed=o.seed))

    @classmethod
    def _create(cls, model_class, *, scored: bool = False, **fields) -> Submission:
        submission = services.submission_create(**fields)
        if scored:
            tasks.score_submission(submission.pk)
            submission.refresh_from_db()
        return submission
