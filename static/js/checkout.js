/* Checkout page: the totals follow the voucher picker, and the new-address fields show only when
 * "A new address" is chosen. The server decides the price when the order is placed (it checks
 * every voucher again); this only shows the buyer what they are about to pay. */
(function () {
  "use strict";
  var form = document.getElementById("checkout-form");
  if (!form) return;
  var script = document.currentScript || document.querySelector("script[data-money-zero]");
  var zero = (script && script.dataset.moneyZero) || "¥0.00";
  var discounts = JSON.parse(document.getElementById("voucher-discounts").textContent || "{}");

  function fen(text) {
    return Math.round(parseFloat(text) * 100);
  }

  function money(cents) {
    var amount = (cents / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return zero.replace("0.00", amount);
  }

  function update() {
    var totalDiscount = 0;
    var total = 0;
    form.querySelectorAll("[data-shop-section]").forEach(function (section) {
      var subtotal = fen(section.dataset.subtotal);
      var select = section.querySelector("select");
      var discount = select && discounts[select.value] ? fen(discounts[select.value]) : 0;
      var shown = section.querySelector("[data-shop-discount]");
      if (shown) shown.textContent = "−" + money(discount);
      section.querySelector("[data-shop-total]").textContent = money(subtotal - discount);
      totalDiscount += discount;
      total += subtotal - discount;
    });
    form.querySelector("[data-total-discount]").textContent = "−" + money(totalDiscount);
    form.querySelector("[data-total]").textContent = money(total);
  }

  function toggleNewAddress() {
    var chosen = form.querySelector('input[name="address"]:checked');
    var fields = form.querySelector("[data-new-address]");
    if (fields) fields.hidden = !(chosen && chosen.value === "new");
  }

  form.addEventListener("change", function (event) {
    if (event.target.tagName === "SELECT") update();
    if (event.target.name === "address") toggleNewAddress();
  });
  // A choice made before this deferred script ran (a slow connection) had no listener yet:
  // show the totals and fields for what is chosen now.
  update();
  toggleNewAddress();
})();
