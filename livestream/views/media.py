"""The media server's callbacks (nginx-rtmp ``on_publish`` / ``on_publish_done``).

nginx-rtmp POSTs a form (``call``, ``app``, ``name`` = the stream key the broadcaster used,
``addr``). A 2xx lets the stream in and a 403 makes nginx drop it. On success, when
``LIVE_RTMP_RELAY`` is set (e.g. ``rtmp://127.0.0.1:1935/show``), the publish hook answers a 302
to ``<relay>/<the room's public stream name>``: nginx-rtmp then pushes the stream to that
application, which writes the HLS playlist under the public name, so the secret key never
appears in a URL viewers see (a plain 2xx would name the playlist after the key). The hooks are CSRF-exempt (the
media server has no session), reachable over plain HTTP (``SECURE_REDIRECT_EXEMPT``), and only
accept POST. Deploy them on a private address: the key is the only credential.
"""

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt

from core.errors import ApplicationError
from livestream.services import rooms


@csrf_exempt
def on_publish(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        room = rooms.media_publish(key=request.POST.get("name", ""))
    except ApplicationError as error:
        return HttpResponseForbidden(error.message, content_type="text/plain; charset=utf-8")
    if not settings.LIVE_RTMP_RELAY:
        return HttpResponse("ok", content_type="text/plain")
    response = HttpResponse(status=302)
    response["Location"] = f"{settings.LIVE_RTMP_RELAY.rstrip('/')}/{room.stream_name}"
    return response


@csrf_exempt
def on_publish_done(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    rooms.media_publish_done(name=request.POST.get("name", ""))
    return HttpResponse("ok", content_type="text/plain")
