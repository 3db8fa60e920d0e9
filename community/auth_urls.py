from django.contrib.auth import views as auth_views
from django.urls import path

from community import views

urlpatterns = [
    # Django's LoginView under the sign-in lockout (community.services.people.sign_in_guard).
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
]
