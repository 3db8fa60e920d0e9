from django.shortcuts import render


def rooms(request):
    """The live area's front page. Live rooms are the next wave of work; until then this page
    says so plainly instead of the navigation leading to a 404."""
    return render(request, "livestream/rooms.html")
