from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse


class User(AbstractUser):
    """A Jishi user. Roles come from what people do (a seller has a shop, a blogger posts), so
    there is no role field."""

    display_name = models.CharField(max_length=60, blank=True)
    avatar = models.ImageField(upload_to="avatars/%Y/%m/", blank=True)
    bio = models.TextField(max_length=500, blank=True)

    def __str__(self):
        return self.display_name or self.username

    def get_absolute_url(self):
        return reverse("community:profile", kwargs={"username": self.username})

    @property
    def public_name(self) -> str:
        return self.display_name or self.username
