from django import forms
from django.contrib.auth.forms import UserCreationForm

from community.models import User


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text="Optional: for order and sale notifications.")
    display_name = forms.CharField(max_length=60, required=False)

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "display_name", "email")
