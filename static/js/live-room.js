// The live room page: HLS player, and the room socket (protocol: docs/live-protocol.md).
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("room-config").textContent);
  var T = config.text;
  var $ = function (id) { return document.getElementById(id); };
  var fmt = function (template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; }).replace("%%", "%");
  };

  // --- video ---------------------------------------------------------------------------------
  var video = $("player");
  if (video) {
    var src = video.dataset.src;
    if (window.Hls && window.Hls.isSupported()) {
      var hls = new window.Hls({ liveSyncDurationCount: 2 });
      hls.loadSource(src);
      hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = src;
    }
  }

  // --- state and rendering --------------------------------------------------------------------
  var state = { pin: null, tally: null, vote: null, seen: {}, me: {} };
  var chatList = $("chat-list");

  function addChat(m) {
    if (state.seen[m.id]) return;
    state.seen[m.id] = true;
    var li = document.createElement("li");
    li.dataset.id = m.id;
    var who = document.createElement("b");
    who.textContent = m.name;
    li.appendChild(who);
    li.appendChild(document.createTextNode(m.text));
    var atBottom = chatList.scrollTop + chatList.clientHeight >= chatList.scrollHeight - 30;
    chatList.appendChild(li);
    while (chatList.children.length > 200) chatList.removeChild(chatList.firstChild);
    if (atBottom) chatList.scrollTop = chatList.scrollHeight;
  }

  function removeChat(id) {
    var li = chatList.querySelector('li[data-id="' + id + '"]');
    if (li) li.remove();
  }

  function showViewers(v) {
    $("viewers-now").textContent = v.now;
    $("viewers-peak").textContent = v.peak;
  }

  function showTally(t) {
    if (!state.pin || !t || t.product !== state.pin.product.id) return;
    state.tally = t;
    var votes = t.yea + t.nay;
    var pct = votes ? Math.round((100 * t.yea) / votes) : 0;
    $("tally-text").textContent = fmt(T.tally, { yea: pct, votes: votes });
    $("tally-bar").style.width = pct + "%";
  }

  function showVote(value) {
    state.vote = value;
    document.querySelectorAll("[data-vote]").forEach(function (b) {
      b.setAttribute("aria-pressed", b.dataset.vote === value ? "true" : "false");
    });
  }

  var countdownTimer = null;
  function showDeal(deal) {
    var box = $("deal-box");
    clearInterval(countdownTimer);
    if (!deal) { box.hidden = true; return; }
    box.hidden = false;
    $("deal-price-text").textContent = "¥" + deal.price;
    showDealLeft(deal);
    var ends = new Date(deal.ends_at).getTime();
    var tick = function () {
      var left = Math.max(0, Math.round((ends - Date.now()) / 1000));
      $("deal-countdown").textContent = left ? fmt(T.ends_in, { time: Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0") }) : T.deal_over;
      var grab = $("grab-button");
      if (grab) grab.disabled = !left;
      if (!left) clearInterval(countdownTimer);
    };
    tick();
    countdownTimer = setInterval(tick, 1000);
  }

  function showDealLeft(deal) {
    if (deal.quantity == null) { $("deal-left").textContent = ""; return; }
    var left = Math.max(0, deal.quantity - deal.sold);
    $("deal-left").textContent = left ? fmt(T.left, { left: left, total: deal.quantity }) : T.sold_out;
  }

  function showPin(pin) {
    state.pin = pin;
    var box = $("featured");
    if (!pin) { box.hidden = true; return; }
    box.hidden = false;
    var p = pin.product;
    $("featured-title").textContent = p.title;
    $("featured-price").textContent = "¥" + p.price;
    $("featured-list").textContent = p.list_price !== p.price ? "¥" + p.list_price : "";
    $("featured-shop").textContent = p.shop;
    $("visit-product").href = p.visit_product;
    $("visit-shop").href = p.visit_shop;
    $("buy-form").action = config.buy.replace(/0\/$/, p.id + "/");
    if ($("grab-state")) $("grab-state").textContent = "";
    if ($("grab-button")) $("grab-button").hidden = false;
    showDeal(pin.deal);
    showVote(null);
    $("tally-text").textContent = "";
    $("tally-bar").style.width = "0";
  }

  function showRoom(r) {
    var badge = $("room-status");
    badge.textContent = r.status === "live" ? T.live : r.status === "ended" ? T.ended : badge.textContent;
    badge.classList.toggle("badge-live", r.status === "live");
    if (r.status === "ended") {
      var msg = $("room-message");
      msg.textContent = r.message || T.room_ended;
      msg.hidden = false;
      showPin(null);
    }
    // The video started (media server): reload once to get the player.
    if (r.status === "live" && r.stream && !video) setTimeout(function () { location.reload(); }, 1500);
  }

  function handle(e) {
    switch (e.type) {
      case "chat": addChat(e); break;
      case "chat.removed": removeChat(e.id); break;
      case "viewers": showViewers(e); break;
      case "hearts": $("hearts").textContent = e.total; break;
      case "pin": showPin(e.pin); break;
      case "tally": showTally(e); break;
      case "deal": if (state.pin && state.pin.deal && state.pin.deal.id === e.id) { state.pin.deal.sold = e.sold; showDealLeft(state.pin.deal); } break;
      case "room": showRoom(e); break;
      case "voted": showVote(e.value); break;
      case "grabbed":
        $("grab-state").textContent = fmt(T.grabbed, { price: "¥" + e.price });
        if ($("grab-button")) $("grab-button").hidden = true;
        $("featured-price").textContent = "¥" + e.price;
        break;
      case "error":
        var target = $("chat-error") || $("socket-state");
        target.textContent = e.message;
        setTimeout(function () { if (target.textContent === e.message) target.textContent = ""; }, 4000);
        break;
    }
  }

  // --- the socket (reconnects with back-off) --------------------------------------------------
  var socket = null, backoff = 500;
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    $("socket-state").textContent = T.connecting;
    socket = new WebSocket(scheme + location.host + config.ws);
    socket.onopen = function () { backoff = 500; $("socket-state").textContent = ""; };
    socket.onmessage = function (message) {
      var f = JSON.parse(message.data);
      if (f.type === "hello") {
        state.me = f.me;
        (f.chat || []).forEach(addChat);
        showPin(f.pin);
        if (f.tally) showTally(f.tally);
        if (f.vote) showVote(f.vote);
        showViewers(f.viewers);
        $("hearts").textContent = f.hearts;
        document.body.dataset.roomReady = "1";
      } else if (f.type === "batch") {
        f.events.forEach(handle);
      } else {
        handle(f);
      }
    };
    socket.onclose = function (event) {
      if (event.code === 4404) return;
      $("socket-state").textContent = T.reconnecting;
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    };
  }
  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }
  connect();

  // --- controls -------------------------------------------------------------------------------
  var chatForm = $("chat-form");
  if (chatForm) {
    chatForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var input = $("chat-input");
      if (input.value.trim()) send({ type: "chat", text: input.value });
      input.value = "";
    });
  }
  var pendingHearts = 0;
  $("heart-button").addEventListener("click", function () {
    pendingHearts += 1;
    $("hearts").textContent = Number($("hearts").textContent) + 1;
  });
  setInterval(function () {  // taps go out at most 4 times a second, batched
    if (pendingHearts) { send({ type: "heart", count: Math.min(pendingHearts, 50) }); pendingHearts = 0; }
  }, 250);
  document.querySelectorAll("[data-vote]").forEach(function (button) {
    button.addEventListener("click", function () {
      if (state.pin) send({ type: "vote", product: state.pin.product.id, value: button.dataset.vote });
    });
  });
  var grab = $("grab-button");
  if (grab) grab.addEventListener("click", function () { send({ type: "grab" }); });
  document.querySelectorAll("[data-pin]").forEach(function (button) {
    button.addEventListener("click", function () {
      var frame = { type: "pin", product: Number(button.dataset.pin) };
      var price = $("deal-price") && $("deal-price").value;
      if (price) {
        frame.deal = {
          price: price,
          quantity: Number($("deal-quantity").value) || null,
          minutes: Number($("deal-minutes").value) || 5,
          per_buyer_limit: Number($("deal-limit").value) || null,
        };
        $("deal-price").value = "";
      }
      send(frame);
    });
  });
  var unpin = $("unpin-button");
  if (unpin) unpin.addEventListener("click", function () { send({ type: "unpin" }); });
})();
