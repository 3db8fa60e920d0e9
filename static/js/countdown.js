/* Countdowns for sale pages. Each [data-countdown] element counts down to data-target-ms (epoch
 * milliseconds) by the server's clock (data-server-now-ms corrects for a wrong client clock) and
 * reloads the page when it reaches zero, so the page flips to the sale's next phase. Prices are
 * decided by the server at that moment; this script only decides when to ask. */
(function () {
  "use strict";

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  function format(ms, daysFormat) {
    var total = Math.ceil(ms / 1000);
    var days = Math.floor(total / 86400);
    var hours = Math.floor((total % 86400) / 3600);
    var minutes = Math.floor((total % 3600) / 60);
    var seconds = total % 60;
    // daysFormat comes translated from the page: "%(days)sd" (English), "%(days)s天" (Chinese).
    return (days ? daysFormat.replace("%(days)s", days) + " " : "") + pad(hours) + ":" + pad(minutes) + ":" + pad(seconds);
  }

  function start(el) {
    // A page may load this script more than once (each section that shows a countdown names it).
    if (el.dataset.countdownStarted) return;
    el.dataset.countdownStarted = "1";
    var target = Number(el.dataset.targetMs);
    // Server clock minus client clock. The page's transfer time makes this slightly small, so
    // the flip happens a moment late, never early.
    var skew = Number(el.dataset.serverNowMs) - Date.now();
    var text = el.querySelector("[data-countdown-text]") || el;
    var daysFormat = el.dataset.daysFormat || "%(days)sd";

    function tick() {
      var left = target - (Date.now() + skew);
      if (left <= 0) {
        text.textContent = format(0, daysFormat);
        el.dataset.state = "done";
        window.location.reload();
        return;
      }
      text.textContent = format(left, daysFormat);
      // Wake at the next whole second of the remaining time.
      setTimeout(tick, left % 1000 || 1000);
    }

    tick();
  }

  document.querySelectorAll("[data-countdown]").forEach(start);
})();
