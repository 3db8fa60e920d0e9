from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordMixin
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from community.models import ReportReason, User
from community.services import people as people_services
from core.errors import ApplicationError
from core.throttles import client_ip

_username = User._meta.get_field("username")


class SignUpForm(SetPasswordMixin, forms.Form):
    """The sign-up page's input: its shape only (and that the password was typed twice alike).
    Whether the account may be created is ``community.services.people.user_create``'s rule, the
    same for the API."""

    username = forms.CharField(
        label=capfirst(_username.verbose_name),
        max_length=_username.max_length,
        help_text=_username.help_text,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    display_name = forms.CharField(label=_("Display name"), max_length=60, required=False)
    email = forms.EmailField(
        label=_("Email"), required=False, help_text=_("Optional: for order and sale notifications.")
    )
    password1, password2 = SetPasswordMixin.create_password_fields()

    def clean(self):
        self.validate_passwords()
        return super().clean()


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


class SignInForm(AuthenticationForm):
    """Django's sign-in form under the sign-in lockout (``people_services.sign_in_guard``): a
    locked account or address is refused before the password is checked (``locked_for`` then
    holds the seconds left, for the view's 429 and Retry-After), and a failure is counted."""

    locked_for: int | None = None

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request)
        try:
            people_services.sign_in_guard(username=username, ip=ip)
        except ApplicationError as error:
            self.locked_for = error.extra["retry_after"]
            raise ValidationError(error.message, code="locked") from error
        try:
            cleaned = super().clean()
        except ValidationError:
            people_services.sign_in_failed(username=username, ip=ip)
            raise
        people_services.sign_in_succeeded(username=username, ip=ip)
        return cleaned


class ReportForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=ReportReason.choices, widget=forms.RadioSelect)
    text = forms.CharField(
        label=_("Details (optional; required for “Other”)"), max_length=500, required=False, widget=forms.Textarea
    )
