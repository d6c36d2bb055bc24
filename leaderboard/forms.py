from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User

from .models import DESCRIPTION_MAX_LENGTH, URL_MAX_LENGTH, Strategy, Track


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=False)

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


# Fields that describe an adaptation; accuracy tracks neither show nor store them.
TRANSFER_ONLY = ("strategy", "uses_target_labels", "parameters_millions", "replay_samples", "adaptation_gpu_hours")


class SubmissionForm(forms.Form):
    track = forms.ModelChoiceField(queryset=Track.objects.select_related("benchmark"), empty_label=None)
    method_name = forms.CharField(max_length=100)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=DESCRIPTION_MAX_LENGTH
    )
    paper_url = forms.URLField(required=False, assume_scheme="https", max_length=URL_MAX_LENGTH)
    code_url = forms.URLField(required=False, assume_scheme="https", max_length=URL_MAX_LENGTH)
    strategy = forms.ChoiceField(choices=Strategy.choices, initial=Strategy.AS_IS)
    uses_target_labels = forms.BooleanField(required=False, label="Target-domain labels were used")
    parameters_millions = forms.FloatField(required=False, min_value=0, label="Parameters (millions)")
    replay_samples = forms.IntegerField(required=False, min_value=0, label="Stored replay samples")
    adaptation_gpu_hours = forms.FloatField(required=False, min_value=0, label="Adaptation compute (GPU hours)")
    ms_per_image = forms.FloatField(required=False, min_value=0, label="Inference time (ms per image)")
    file = forms.FileField(help_text="COCO results JSON, VOC per-class files (zip), KITTI label files (zip).")

    def clean(self) -> dict:
        data = super().clean()
        track = data.get("track")
        if track is not None and not track.is_transfer:
            for name in TRANSFER_ONLY:
                data[name] = self.fields[name].initial if name == "strategy" else None
            data["uses_target_labels"] = False
        return data


class SubmissionDetailsForm(forms.Form):
    """What an owner may change after uploading: how the entry is described, never its file."""

    method_name = forms.CharField(max_length=100)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=DESCRIPTION_MAX_LENGTH
    )
    paper_url = forms.URLField(required=False, assume_scheme="https", max_length=URL_MAX_LENGTH)
    code_url = forms.URLField(required=False, assume_scheme="https", max_length=URL_MAX_LENGTH)
