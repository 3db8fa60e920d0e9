from django.conf import settings


def site(request):
    """Values every template may use."""
    return {"CURRENCY": settings.CURRENCY, "SITE_NAME": "Jishi 集市"}
