"""Data and URLs for bench/marketplace_http.py (run through ``manage.py shell``)."""


def bench_catalogue(*, reverse) -> dict[str, str]:
    return {"home page": reverse("home")}
