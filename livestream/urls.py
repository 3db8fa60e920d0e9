from django.urls import path

from livestream import views

app_name = "livestream"

urlpatterns = [
    path("live/", views.rooms, name="rooms"),
]
