from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render

from community.forms import SignUpForm
from community.selectors import people as selectors


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to Jishi, {user.public_name}!")
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


def profile(request, username):
    person = selectors.user_get_public(username=username)
    return render(request, "community/profile.html", {"person": person})
