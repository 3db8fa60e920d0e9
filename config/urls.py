from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from community import views as community_views
from config import views
from config.health import healthz

# The marketplace first: its product list and checkout are the hottest calls, and URL
# resolution tries patterns in order (their paths do not overlap).
api_v1 = [
    path("", include("marketplace.api_urls")),
    path("", include("community.api_urls")),
    path("", include("headline.api_urls")),
    path("", include("livestream.api_urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("ping", views.ping, name="ping"),
    path("favicon.ico", views.favicon, name="favicon"),
    # The API before the site's pages: no page route starts with "api/" (tests/config/test_urls.py),
    # so the order changes no answer, and an API request (a checkout on sale day) is resolved
    # without first trying the ~300 page routes.
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("accounts/", include("community.auth_urls")),
    # The footer's language switcher: Django's set_language, which also remembers a signed-in
    # person's language for their e-mails.
    path("i18n/setlang/", community_views.language_set, name="set_language"),
    path("", include("marketplace.urls")),
    path("", include("community.urls")),
    path("", include("headline.urls")),
    path("", include("livestream.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Error answers: the JSON body under /api/, the error page elsewhere (core/middleware.py); an
# oversized body answers 413.
handler400 = "config.views.bad_request"
handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
