from django.shortcuts import render


def home(request):
    """The front page. Each area contributes a section as it is built."""
    return render(request, "home.html")
