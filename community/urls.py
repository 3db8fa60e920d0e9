from django.urls import path

from community import views

app_name = "community"

urlpatterns = [
    path("u/<str:username>/", views.profile, name="profile"),
]
