/* Lab page: hard cases for a co-browsing capture, built on purpose. */
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };

  /* 1. CSS object model: rules inserted into an empty <style> element. */
  var cssomSheet = $("cssom-style").sheet;
  var cssomRules = [
    ".cssom-box { padding: 22px; border-radius: 12px; font-weight: 700; text-align: center; color: #fff; background: linear-gradient(120deg, #ff6b4a, #ffb347); box-shadow: 0 8px 20px rgba(255,107,74,.35); }",
    ".cssom-box::after { content: \" \\2713\"; }",
    "@media (max-width: 600px) { .cssom-box { padding: 14px; } }"
  ];
  cssomRules.forEach(function (rule) { cssomSheet.insertRule(rule, cssomSheet.cssRules.length); });
  var alt = false;
  function ruleCount() { $("cssom-rule-count").textContent = " " + cssomSheet.cssRules.length + " rules in the sheet"; }
  $("cssom-toggle").addEventListener("click", function () {
    alt = !alt;
    cssomSheet.insertRule(alt
      ? ".cssom-box { background: linear-gradient(120deg, #0b2545, #0f9d8f); transform: rotate(-1.5deg); }"
      : ".cssom-box { background: linear-gradient(120deg, #ff6b4a, #ffb347); transform: none; }",
      cssomSheet.cssRules.length);
    ruleCount();
  });
  ruleCount();

  /* 2. Constructable style sheet adopted by the document. */
  try {
    var adopted = new CSSStyleSheet();
    adopted.replaceSync(
      ".adopted-box { padding: 22px; border-radius: 12px; text-align: center; font-weight: 700; color: #0b2545;" +
      " background: repeating-linear-gradient(45deg, #cfeee9 0 12px, #e6f7f4 12px 24px); border: 2px dashed #0f9d8f; }"
    );
    document.adoptedStyleSheets = document.adoptedStyleSheets.concat([adopted]);
    $("adopted-status").textContent = "Adopted sheets on the document: " + document.adoptedStyleSheets.length;
  } catch (e) {
    $("adopted-status").textContent = "This browser does not support constructable style sheets.";
  }

  /* 3. Cross-origin iframe: swap localhost and 127.0.0.1, same port. */
  var host = location.hostname === "localhost" ? "127.0.0.1" : location.hostname === "127.0.0.1" ? "localhost" : null;
  var crossFrame = $("cross-origin-frame");
  if (host) {
    var url = location.protocol + "//" + host + (location.port ? ":" + location.port : "") + "/demo/frame.html";
    $("cross-origin-url").textContent = url;
    crossFrame.src = url;
  } else {
    $("cross-origin-url").textContent = "(open the demo on localhost or 127.0.0.1 to see this)";
    crossFrame.src = "about:blank";
  }

  /* 4. Web component with an open shadow root and styles inside it. */
  var STAR = "M12 2.5l2.9 6 6.6.9-4.8 4.6 1.2 6.5L12 17.4l-5.9 3.1 1.2-6.5-4.8-4.6 6.6-.9z";
  var SVGNS = "http://www.w3.org/2000/svg";

  class NwRating extends HTMLElement {
    static get observedAttributes() { return ["value"]; }

    connectedCallback() {
      if (this.shadowRoot) { this.render(); return; }
      var root = this.attachShadow({ mode: "open" });
      var style = document.createElement("style");
      style.textContent =
        ":host { display: block; padding: 14px 16px; border-radius: 12px; background: #0b2545; color: #fff; }" +
        ".label { display: block; font-weight: 600; margin-bottom: 8px; }" +
        ".stars { display: flex; gap: 6px; }" +
        "button { background: none; border: 0; padding: 2px; cursor: pointer; border-radius: 6px; }" +
        "button:focus-visible { outline: 2px solid #7fe3d8; }" +
        "svg { width: 34px; height: 34px; display: block; transition: transform .12s; }" +
        "button:hover svg { transform: scale(1.15); }" +
        "path { fill: #2a4a75; stroke: #7fa6d6; stroke-width: 1; }" +
        "button.on path { fill: #ffc857; stroke: #ffb347; }" +
        ".caption { font-size: .85rem; opacity: .8; margin-top: 6px; }";
      root.appendChild(style);
      var label = document.createElement("span");
      label.className = "label";
      label.appendChild(document.createElement("slot"));
      root.appendChild(label);
      var stars = document.createElement("div");
      stars.className = "stars";
      stars.setAttribute("role", "radiogroup");
      var max = parseInt(this.getAttribute("max"), 10) || 5;
      var self = this;
      for (var i = 1; i <= max; i++) {
        var b = document.createElement("button");
        b.type = "button";
      b.setAttribute("role", "radio");
        b.id = "star-" + i;
        b.setAttribute("data-value", String(i));
        b.setAttribute("aria-label", i + (i === 1 ? " star" : " stars"));
        var svg = document.createElementNS(SVGNS, "svg");
        svg.setAttribute("viewBox", "0 0 24 24");
        var path = document.createElementNS(SVGNS, "path");
        path.setAttribute("d", STAR);
        svg.appendChild(path);
        b.appendChild(svg);
        b.addEventListener("click", function () { self.setAttribute("value", this.getAttribute("data-value")); self.dispatchEvent(new Event("change", { bubbles: true })); });
        stars.appendChild(b);
    }
      root.appendChild(stars);
      var caption = document.createElement("div");
      caption.className = "caption";
      caption.id = "rating-caption";
      root.appendChild(caption);
      this.render();
    }

    attributeChangedCallback() { if (this.shadowRoot) { this.render(); } }

    render() {
      var value = parseInt(this.getAttribute("value"), 10) || 0;
      var words = ["Not rated", "Poor", "Could be better", "Good", "Great", "Unforgettable"];
      this.shadowRoot.querySelectorAll("button").forEach(function (b) {
        var on = parseInt(b.getAttribute("data-value"), 10) <= value;
        b.classList.toggle("on", on);
        b.setAttribute("aria-checked", String(parseInt(b.getAttribute("data-value"), 10) === value));
      });
      this.shadowRoot.getElementById("rating-caption").textContent = words[value] || "";
    }
  }

  if (!customElements.get("nw-rating")) { customElements.define("nw-rating", NwRating); }
  $("rating").addEventListener("change", function (e) { $("rating-value").textContent = e.target.getAttribute("value"); });

  /* 5. Canvas bar chart. */
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var YEARS = {
    2025: [310, 280, 360, 420, 510, 690, 840, 880, 600, 450, 330, 410],
    2026: [350, 330, 410, 470, 580, 760, 910, 950, 640, 500, 360, 470]
  };
  var year = 2025;

  function drawChart() {
    var canvas = $("sales-chart");
    var ctx = canvas.getContext("2d");
    var data = YEARS[year];
    var w = canvas.width, h = canvas.height, pad = 34, top = 30;
    var max = 1000;
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, w, h);
    ctx.font = "600 14px system-ui, sans-serif";
    ctx.fillStyle = "#0b2545";
    ctx.fillText("Bookings per month, " + year, pad, 20);
    ctx.strokeStyle = "#e3ded5";
    ctx.lineWidth = 1;
    ctx.font = "11px system-ui, sans-serif";
    for (var g = 0; g <= max; g += 250) {
      var gy = h - pad - (g / max) * (h - pad - top);
      ctx.beginPath(); ctx.moveTo(pad, gy); ctx.lineTo(w - 8, gy); ctx.stroke();
      ctx.fillStyle = "#5b6475";
      ctx.fillText(String(g), 2, gy + 4);
    }
    var slot = (w - pad - 8) / data.length;
    data.forEach(function (v, i) {
      var bh = (v / max) * (h - pad - top);
      var x = pad + i * slot + slot * 0.18;
      var bw = slot * 0.64;
      var grad = ctx.createLinearGradient(0, h - pad - bh, 0, h - pad);
      grad.addColorStop(0, i >= 5 && i <= 7 ? "#ff6b4a" : "#0f9d8f");
      grad.addColorStop(1, i >= 5 && i <= 7 ? "#ffb347" : "#3fc1c9");
      ctx.fillStyle = grad;
      ctx.fillRect(x, h - pad - bh, bw, bh);
      ctx.fillStyle = "#5b6475";
      ctx.textAlign = "center";
      ctx.fillText(MONTHS[i], x + bw / 2, h - pad + 16);
      ctx.textAlign = "left";
    });
    canvas.setAttribute("data-year", String(year));
  }
  $("redraw-chart").addEventListener("click", function () {
    year = year === 2025 ? 2026 : 2025;
    this.textContent = year === 2025 ? "Show next year" : "Show last year";
    drawChart();
  });
  drawChart();

  /* 6. Live mutations. */
  function tick() {
    var d = new Date();
    var p = function (n) { return (n < 10 ? "0" : "") + n; };
    $("live-clock").textContent = p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds());
  }
  tick();
  setInterval(tick, 1000);
  var PLACES = ["Reykjavik", "Kyoto", "Marrakech", "Cape Town", "El Calafate", "Tromsø", "Hoi An", "Oaxaca", "Tbilisi", "Hobart"];
  var added = 0;
  $("add-item").addEventListener("click", function () {
    var li = document.createElement("li");
    li.id = "dynamic-item-" + (++added);
    li.textContent = PLACES[(added - 1) % PLACES.length] + " added to your wish list";
    $("dynamic-list").appendChild(li);
  });

  /* 7. A long table, generated (deterministic content). */
  var CITIES = ["Lisbon", "Reykjavik", "Kyoto", "Cape Town", "Marrakech", "Oslo", "Rome", "Vienna", "Dubrovnik", "Seville", "Tallinn", "Porto"];
  var STATUS = ["On time", "On time", "Boarding", "Delayed 20 min", "On time", "Gate closed", "Departed"];
  var body = $("long-table-body");
  var frag = document.createDocumentFragment();
  for (var r = 0; r < 120; r++) {
    var tr = document.createElement("tr");
    tr.id = "departure-" + (r + 1);
    var minutes = 6 * 60 + r * 7;
    var cells = [
      "NW " + (100 + r * 7),
      CITIES[(r * 5) % CITIES.length],
      ("0" + Math.floor(minutes / 60) % 24).slice(-2) + ":" + ("0" + minutes % 60).slice(-2),
      String.fromCharCode(65 + (r % 6)) + (1 + (r * 3) % 24),
      STATUS[(r * 3) % STATUS.length]
    ];
    cells.forEach(function (c) { var td = document.createElement("td"); td.textContent = c; tr.appendChild(td); });
    frag.appendChild(tr);
  }
  body.appendChild(frag);
})();
