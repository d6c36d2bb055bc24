"""List the splits whose public/private seed can be guessed, and give a split a new secret one."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from leaderboard import services
from leaderboard.models import Split


class Command(BaseCommand):
    help = (
        "Without arguments: list the splits whose seed is guessable (the old default <benchmark>-<split>, or a "
        "demo's). With --new BENCHMARK SPLIT: give that split a random secret seed and rescore the tracks using it "
        "(its public part changes, so public scores do). Seeds are never printed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--new", nargs=2, metavar=("BENCHMARK", "SPLIT"), help="Make a new secret seed.")

    def handle(self, *args, **options):
        if options["new"]:
            benchmark, slug = options["new"]
            split = Split.objects.filter(benchmark__slug=benchmark, slug=slug).first()
            if split is None:
                raise CommandError(f"no split {benchmark}/{slug}")
            rescored = services.split_seed_renew(split=split)
            self.stdout.write(f"{benchmark}/{slug}: new secret seed; {rescored} submissions queued for rescoring")
            return
        guessable = [
            split for split in Split.objects.select_related("benchmark") if services.split_seed_guessable(split)
        ]
        for split in guessable:
            self.stdout.write(f"guessable: {split.benchmark.slug}/{split.slug}")
        self.stdout.write(f"{len(guessable)} of {Split.objects.count()} splits have a guessable seed")
