from django.urls import path

from livestream.views import media, pages

app_name = "livestream"

urlpatterns = [
    path("live/", pages.rooms, name="rooms"),
    path("live/studio/", pages.studio, name="studio"),
    path("live/studio/stream-key/", pages.stream_key_rotate, name="stream_key_rotate"),
    path("live/shows/<slug:slug>/", pages.show, name="show"),
    path("live/<int:room_id>/", pages.room, name="room"),
    path("live/<int:room_id>/remind/", pages.room_remind, name="remind"),
    path("live/<int:room_id>/start/", pages.room_start, name="start"),
    path("live/<int:room_id>/end/", pages.room_end, name="end"),
    path("live/<int:room_id>/stats/", pages.room_stats, name="stats"),
    path("live/<int:room_id>/buy/<int:product_id>/", pages.buy, name="buy"),
    path("live/<int:room_id>/go/product/<int:product_id>/", pages.go_product, name="go_product"),
    path("live/<int:room_id>/go/shop/<int:shop_id>/", pages.go_shop, name="go_shop"),
    # The media server's callbacks (nginx-rtmp on_publish / on_publish_done): plain HTTP, no CSRF.
    path("live/media/on-publish/", media.on_publish, name="media_publish"),
    path("live/media/on-publish-done/", media.on_publish_done, name="media_publish_done"),
]
