/* Northwind demo: shared behaviour on every tagged page.
   - the product catalogue and the cart (kept in localStorage, so it survives page changes)
   - the cart badge in the nav (#cart-count)
   - the mobile menu toggle (#nav-toggle) */
(function () {
  "use strict";

  var CART_KEY = "northwind-cart";

  var PRODUCTS = {
    "cabin-case": { name: "Horizon Cabin Case", price: 149.0 },
    "backpack": { name: "Trailhead Backpack 32L", price: 89.0 },
    "neck-pillow": { name: "CloudRest Neck Pillow", price: 24.0 },
    "power-adapter": { name: "Worldwide Power Adapter", price: 29.0 },
    "water-bottle": { name: "Insulated Water Bottle", price: 22.0 },
    "packing-cubes": { name: "Packing Cubes, set of 4", price: 35.0 }
  };

  function readCart() {
    try {
      var raw = window.localStorage.getItem(CART_KEY);
      var data = raw ? JSON.parse(raw) : {};
      var clean = {};
      Object.keys(data || {}).forEach(function (id) {
        var qty = parseInt(data[id], 10);
        if (PRODUCTS[id] && qty > 0) { clean[id] = Math.min(qty, 99); }
      });
      return clean;
    } catch (e) {
      return {};
    }
  }

  function writeCart(cart) {
    try {
      window.localStorage.setItem(CART_KEY, JSON.stringify(cart));
    } catch (e) { /* storage disabled: the cart lives for this page only */ }
    updateBadge(cart);
    document.dispatchEvent(new CustomEvent("nw:cart", { detail: cart }));
  }

  function cartCount(cart) {
    return Object.keys(cart).reduce(function (n, id) { return n + cart[id]; }, 0);
  }

  function add(id, qty) {
    var cart = readCart();
    cart[id] = Math.min((cart[id] || 0) + (qty || 1), 99);
    writeCart(cart);
    return cart;
  }

  function setQty(id, qty) {
    var cart = readCart();
    qty = parseInt(qty, 10);
    if (!qty || qty < 1) { delete cart[id]; } else { cart[id] = Math.min(qty, 99); }
    writeCart(cart);
    return cart;
  }

  function clear() { writeCart({}); }

  function money(n) {
    return "\u20ac" + n.toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function updateBadge(cart) {
    var badge = document.getElementById("cart-count");
    if (!badge) { return; }
    var n = cartCount(cart || readCart());
    badge.textContent = String(n);
    badge.classList.toggle("empty", n === 0);
    badge.setAttribute("aria-label", n + (n === 1 ? " item" : " items") + " in cart");
  }

  function initNav() {
    var toggle = document.getElementById("nav-toggle");
    var nav = document.getElementById("site-nav");
    if (!toggle || !nav) { return; }
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  window.Northwind = {
    products: PRODUCTS,
    readCart: readCart,
    add: add,
    setQty: setQty,
    clear: clear,
    count: function () { return cartCount(readCart()); },
    money: money
  };

  // Another tab (or the agent driving this one) changed the cart.
  window.addEventListener("storage", function (e) {
    if (e.key === CART_KEY) { updateBadge(); document.dispatchEvent(new CustomEvent("nw:cart", { detail: readCart() })); }
  });

  function init() { updateBadge(); initNav(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
