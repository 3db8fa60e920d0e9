from django.http import HttpResponse
from django.shortcuts import render


def home(request):
    """The front page. Each area contributes a section as it is built."""
    return render(request, "home.html")


def ping(request):
    """The minimal view: a plain HttpResponse, no database or session. Benchmarks measure
    every page against it; load balancers may use it as a liveness probe."""
    return HttpResponse("pong", content_type="text/plain")
