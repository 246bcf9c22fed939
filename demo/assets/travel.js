/* Travel package configurator: three steps, running price total. */
(function () {
  "use strict";

  var form = document.getElementById("trip-form");
  if (!form) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var money = function (n) { return window.Northwind ? window.Northwind.money(n) : "\u20ac" + n.toFixed(2); };
  var step = 1;
  var LAST = 3;

  function nightsBetween(a, b) {
    var d1 = Date.parse(a), d2 = Date.parse(b);
    if (isNaN(d1) || isNaN(d2)) { return 0; }
    return Math.round((d2 - d1) / 86400000);
  }

  function state() {
    var destSel = $("destination");
    var opt = destSel.options[destSel.selectedIndex];
    var travellers = parseInt($("travellers").value, 10);
    if (!(travellers >= 1)) { travellers = 0; }
    travellers = Math.min(travellers, 9);
    var room = form.querySelector("input[name=room]:checked");
    var extras = Array.prototype.filter.call(form.querySelectorAll("input[name=extras]"), function (c) { return c.checked; });
    return {
      destination: destSel.value,
      destinationName: destSel.value ? opt.textContent : "",
      flight: parseFloat(opt.getAttribute("data-flight")) || 0,
      night: parseFloat(opt.getAttribute("data-night")) || 0,
      depart: $("depart-date").value,
      ret: $("return-date").value,
      nights: nightsBetween($("depart-date").value, $("return-date").value),
      travellers: travellers,
      airport: $("departure-airport").options[$("departure-airport").selectedIndex].textContent,
      room: room ? room.value : "standard",
      roomFactor: room ? parseFloat(room.getAttribute("data-factor")) : 1,
      extras: extras
    };
  }

  function price(s) {
    var lines = [];
    if (!s.destination || s.nights < 1 || s.travellers < 1) { return { total: 0, lines: lines }; }
    var rooms = Math.ceil(s.travellers / 2);
    var flights = s.flight * s.travellers;
    var hotel = s.night * s.roomFactor * rooms * s.nights;
    lines.push(["Return flights \u00d7 " + s.travellers, flights]);
    lines.push([cap(s.room) + " room \u00d7 " + rooms + ", " + s.nights + " nights", hotel]);
    s.extras.forEach(function (c) {
      var p = parseFloat(c.getAttribute("data-price"));
      var per = c.getAttribute("data-per");
      var amount = per === "trip" ? p : per === "night" ? p * s.travellers * s.nights : p * s.travellers;
      lines.push([cap(c.value), amount]);
    });
    var total = lines.reduce(function (t, l) { return t + l[1]; }, 0);
    return { total: Math.round(total * 100) / 100, lines: lines };
  }

  function cap(s) { return s.charAt(0).toUpperCase() + s.slice(1); }

  function render() {
    var s = state();
    var p = price(s);
    var totalEl = $("price-total");
    totalEl.textContent = money(p.total);
    totalEl.setAttribute("data-total", p.total.toFixed(2));
    var note = $("price-note");
    if (!s.destination) { note.textContent = "Choose a destination to see a price."; }
    else if (s.nights < 1) { note.textContent = "The return date must be after the departure date."; }
    else if (s.travellers < 1) { note.textContent = "Enter between 1 and 9 travellers."; }
    else { note.textContent = s.destinationName + ", " + s.nights + " nights, " + s.travellers + (s.travellers === 1 ? " traveller" : " travellers"); }
    var list = $("price-breakdown");
    list.textContent = "";
    p.lines.forEach(function (l) {
      var li = document.createElement("li");
      var a = document.createElement("span");
      var b = document.createElement("b");
      a.textContent = l[0];
      b.textContent = money(l[1]);
      li.appendChild(a); li.appendChild(b);
      list.appendChild(li);
    });
    return s;
  }

  function renderSummary() {
    var s = state();
    var p = price(s);
    var dl = $("summary");
    dl.textContent = "";
    var rows = [
      ["Destination", s.destinationName],
      ["Dates", s.depart + " to " + s.ret + " (" + s.nights + " nights)"],
      ["Travellers", String(s.travellers)],
      ["Flying from", s.airport],
      ["Room", cap(s.room)],
      ["Extras", s.extras.length ? s.extras.map(function (c) { return cap(c.value); }).join(", ") : "None"],
      ["Total", money(p.total)]
    ];
    rows.forEach(function (r) {
      var dt = document.createElement("dt");
      var dd = document.createElement("dd");
      dt.textContent = r[0];
      dd.textContent = r[1];
      if (r[0] === "Total") { dd.id = "summary-total"; dd.style.fontWeight = "800"; }
      dl.appendChild(dt); dl.appendChild(dd);
    });
  }

  function validateStep1() {
    var s = state();
    var msg = "";
    if (!s.destination) { msg = "Please choose a destination."; }
    else if (s.nights < 1) { msg = "The return date must be after the departure date."; }
    else if (s.nights > 60) { msg = "Packages can be at most 60 nights."; }
    else if (s.travellers < 1) { msg = "Enter between 1 and 9 travellers."; }
    $("step-1-error").textContent = msg;
    return !msg;
  }

  function show(n) {
    step = n;
    form.setAttribute("data-current-step", String(n));
    for (var i = 1; i <= LAST; i++) { $("step-" + i).hidden = i !== n; }
    Array.prototype.forEach.call($("step-indicator").children, function (li) {
      var k = parseInt(li.getAttribute("data-step"), 10);
      li.classList.toggle("active", k === n);
      li.classList.toggle("done", k < n);
    });
    $("prev-step").disabled = n === 1;
    $("next-step").hidden = n === LAST;
    $("book-package").hidden = n !== LAST;
    if (n === LAST) { renderSummary(); }
  }

  $("next-step").addEventListener("click", function () {
    if (step === 1 && !validateStep1()) { return; }
    if (step < LAST) { show(step + 1); }
  });
  $("prev-step").addEventListener("click", function () {
    if (step > 1) { show(step - 1); }
  });

  form.addEventListener("input", render);
  form.addEventListener("change", function () { render(); if (step === LAST) { renderSummary(); } });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (step !== LAST) { return; }
    var name = $("lead-name").value.trim();
    var email = $("lead-email").value.trim();
    if (!name || email.indexOf("@") < 1) {
      $("step-3-error").textContent = "Please enter the lead traveller's name and a valid email.";
      return;
    }
    $("step-3-error").textContent = "";
    $("booking-reference").textContent = "NW-" + String(Date.now()).slice(-6);
    for (var i = 1; i <= LAST; i++) { $("step-" + i).hidden = true; }
    $("step-actions").hidden = true;
    $("step-indicator").hidden = true;
    $("booking-confirmation").hidden = false;
  });

  $("start-over").addEventListener("click", function () {
    form.reset();
    $("booking-confirmation").hidden = true;
    $("step-actions").hidden = false;
    $("step-indicator").hidden = false;
    show(1);
    render();
  });

  render();
  show(1);
})();
