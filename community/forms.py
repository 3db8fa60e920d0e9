from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from community.models import User


class SignUpForm(UserCreationForm):
    email = forms.EmailField(
        label=_("Email"), required=False, help_text=_("Optional: for order and sale notifications.")
    )
    display_name = forms.CharField(label=_("Display name"), max_length=60, required=False)

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "display_name", "email")


class QuestionForm(forms.Form):
    text = forms.CharField(
        label=_("Your question"),
        min_length=10,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Past buyers of this product will be invited to answer."),
    )


class AnswerForm(forms.Form):
    text = forms.CharField(
        label=_("Your answer"), min_length=2, max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )


class InviteSettingsForm(forms.Form):
    question_invites_opt_out = forms.BooleanField(
        label=_("Don't invite me to answer questions about products I bought"), required=False
    )
