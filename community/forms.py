from django import forms
from django.contrib.auth.forms import UserCreationForm

from community.models import User


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text="Optional: for order and sale notifications.")
    display_name = forms.CharField(max_length=60, required=False)

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "display_name", "email")


class QuestionForm(forms.Form):
    text = forms.CharField(
        label="Your question",
        min_length=10,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Past buyers of this product will be invited to answer.",
    )


class AnswerForm(forms.Form):
    text = forms.CharField(label="Your answer", min_length=2, max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))


class InviteSettingsForm(forms.Form):
    question_invites_opt_out = forms.BooleanField(
        label="Don't invite me to answer questions about products I bought", required=False
    )
