/* Cart page: lists the localStorage cart with quantity inputs and totals. */
(function () {
  "use strict";

  var NW = window.Northwind;
  if (!NW) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var selfUpdate = false;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text != null) { e.textContent = text; }
    return e;
  }

  function build() {
    var cart = NW.readCart();
    var ids = Object.keys(cart);
    $("cart-empty").hidden = ids.length > 0;
    $("cart-filled").hidden = ids.length === 0;
    var body = $("cart-body");
    body.textContent = "";
    ids.forEach(function (id) {
      var p = NW.products[id];
      var tr = el("tr", { id: "cart-row-" + id, "data-product": id });
      var item = el("td");
      var wrap = el("div", { "class": "cart-item" });
      wrap.appendChild(el("img", { src: "assets/img/" + id + ".svg", alt: "", width: "48", height: "48" }));
      wrap.appendChild(el("strong", null, p.name));
      item.appendChild(wrap);
      tr.appendChild(item);
      tr.appendChild(el("td", { "class": "num" }, NW.money(p.price)));
      var qtyCell = el("td");
      var label = el("label", { "for": "qty-" + id, "class": "visually-hidden" }, "Quantity of " + p.name);
      var qty = el("input", { type: "number", id: "qty-" + id, name: "qty-" + id, "class": "qty", min: "0", max: "99", step: "1", value: String(cart[id]), "data-product": id });
      qtyCell.appendChild(label);
      qtyCell.appendChild(qty);
      tr.appendChild(qtyCell);
      tr.appendChild(el("td", { "class": "num", id: "line-" + id }, NW.money(p.price * cart[id])));
      var rmCell = el("td");
      var rm = el("button", { type: "button", "class": "btn btn-ghost btn-small", id: "remove-" + id, "data-product": id, "aria-label": "Remove " + p.name }, "Remove");
      rmCell.appendChild(rm);
      tr.appendChild(rmCell);
      body.appendChild(tr);
    });
    totals();
  }

  function totals() {
    var cart = NW.readCart();
    var items = 0, subtotal = 0;
    Object.keys(cart).forEach(function (id) {
      items += cart[id];
      subtotal += NW.products[id].price * cart[id];
      var line = $("line-" + id);
      if (line) { line.textContent = NW.money(NW.products[id].price * cart[id]); }
    });
    var code = $("promo-code").value.trim().toUpperCase();
    var discount = code === "TRAVEL10" ? Math.round(subtotal * 10) / 100 : 0;
    $("promo-status").textContent = !code ? "" : discount ? "TRAVEL10: 10% off applied." : "That code isn't valid.";
    $("promo-status").className = "hint" + (discount ? " ok" : "");
    var opt = $("delivery").options[$("delivery").selectedIndex];
    var shipping = parseFloat(opt.getAttribute("data-price"));
    if (opt.value === "standard" && subtotal - discount >= 75) { shipping = 0; }
    if (!items) { shipping = 0; }
    var total = Math.round((subtotal - discount + shipping) * 100) / 100;
    $("cart-items").textContent = String(items);
    $("cart-subtotal").textContent = NW.money(subtotal);
    $("cart-discount").textContent = discount ? "\u2212" + NW.money(discount) : NW.money(0);
    $("cart-shipping").textContent = shipping ? NW.money(shipping) : "Free";
    $("cart-total").textContent = NW.money(total);
    $("cart-total").setAttribute("data-total", total.toFixed(2));
  }

  function setQty(id, value, rebuild) {
    selfUpdate = true;
    NW.setQty(id, value);
    selfUpdate = false;
    if (rebuild) { build(); } else { totals(); }
  }

  $("cart-body").addEventListener("input", function (e) {
    var id = e.target.getAttribute("data-product");
    if (id && e.target.classList.contains("qty")) { setQty(id, e.target.value, false); }
  });
  $("cart-body").addEventListener("change", function (e) {
    var id = e.target.getAttribute("data-product");
    if (id && e.target.classList.contains("qty")) { setQty(id, e.target.value, !(parseInt(e.target.value, 10) >= 1)); }
  });
  $("cart-body").addEventListener("click", function (e) {
    var btn = e.target.closest("button[data-product]");
    if (btn) { setQty(btn.getAttribute("data-product"), 0, true); }
  });
  $("delivery").addEventListener("change", totals);
  $("promo-code").addEventListener("input", totals);
  $("clear-cart").addEventListener("click", function () { selfUpdate = true; NW.clear(); selfUpdate = false; build(); });
  $("checkout").addEventListener("click", function () {
    $("checkout-message").textContent = "Checkout is switched off in this demo. Your cart is kept on this device.";
  });
  // The cart changed elsewhere (another tab): show the new contents.
  document.addEventListener("nw:cart", function () { if (!selfUpdate) { build(); } });

  build();
})();
