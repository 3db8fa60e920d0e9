/* Product photo gallery. Markup (marketplace/_product_detail.html): [data-gallery] holds the main
 * image [data-gallery-main], ‹ › buttons [data-gallery-step], a counter [data-gallery-count] and
 * thumbnail links [data-gallery-thumb] to each photo. Without this script the thumbnails simply
 * open the photos. With it: a thumbnail shows its photo in place; ← → (and Home/End) step through
 * the photos while the gallery has focus; a sideways swipe on the photo steps too. */
(function () {
  "use strict";

  function setUp(gallery) {
    var main = gallery.querySelector("[data-gallery-main]");
    var thumbs = Array.prototype.slice.call(gallery.querySelectorAll("[data-gallery-thumb]"));
    var count = gallery.querySelector("[data-gallery-count]");
    if (!main || thumbs.length < 2) return;
    var current = 0;

    function show(index) {
      current = (index + thumbs.length) % thumbs.length;
      var thumb = thumbs[current];
      main.src = thumb.getAttribute("href");
      main.alt = thumb.dataset.alt || main.alt;
      thumbs.forEach(function (t, i) {
        if (i === current) t.setAttribute("aria-current", "true");
        else t.removeAttribute("aria-current");
      });
      if (count) {
        count.textContent = (count.dataset.format || "%(number)s / %(total)s")
          .replace("%(number)s", current + 1)
          .replace("%(total)s", thumbs.length);
      }
      gallery.dataset.current = String(current);
    }

    thumbs.forEach(function (thumb, i) {
      thumb.addEventListener("click", function (event) {
        event.preventDefault();
        show(i);
      });
    });
    gallery.querySelectorAll("[data-gallery-step]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        show(current + Number(button.dataset.galleryStep));
      });
    });
    gallery.addEventListener("keydown", function (event) {
      var next = { ArrowLeft: current - 1, ArrowRight: current + 1, Home: 0, End: thumbs.length - 1 }[event.key];
      if (next === undefined || event.altKey || event.ctrlKey || event.metaKey) return;
      event.preventDefault();
      show(next);
      // Keep the keyboard user's focus on what they were using: the photo, or the new thumbnail.
      if (thumbs.indexOf(document.activeElement) !== -1) thumbs[current].focus();
    });

    // Swipe: a mostly sideways drag of 40 px or more on the photo (touch, pen or mouse).
    var startX = null, startY = null;
    main.addEventListener("pointerdown", function (event) {
      startX = event.clientX;
      startY = event.clientY;
    });
    main.addEventListener("pointerup", function (event) {
      if (startX === null) return;
      var dx = event.clientX - startX, dy = event.clientY - startY;
      startX = null;
      if (Math.abs(dx) >= 40 && Math.abs(dx) > Math.abs(dy)) show(current + (dx < 0 ? 1 : -1));
    });
    main.addEventListener("pointercancel", function () {
      startX = null;
    });
    show(0);
  }

  document.querySelectorAll("[data-gallery]").forEach(setUp);
})();
