/* Shop: "Add to cart" buttons write the cart to localStorage (see site.js). */
(function () {
  "use strict";

  var NW = window.Northwind;
  if (!NW) { return; }
  var timers = {};

  function summary() {
    var n = NW.count();
    var cart = NW.readCart();
    var total = Object.keys(cart).reduce(function (t, id) { return t + NW.products[id].price * cart[id]; }, 0);
    document.getElementById("shop-cart-text").textContent = n
      ? "Your cart: " + n + (n === 1 ? " item, " : " items, ") + NW.money(total) + "."
      : "Your cart is empty.";
  }

  document.querySelectorAll(".add-to-cart").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var id = btn.getAttribute("data-product");
      var cart = NW.add(id, 1);
      var note = document.getElementById("added-" + id);
      note.textContent = "\u2713 Added. " + cart[id] + " in your cart.";
      clearTimeout(timers[id]);
      timers[id] = setTimeout(function () { note.textContent = ""; }, 4000);
      summary();
    });
  });

  document.addEventListener("nw:cart", summary);
  summary();
})();
