/* The small currency-converter widget shown in the lab's iframes. */
(function () {
  "use strict";

  var RATES = { EUR: 1, GBP: 0.85, USD: 1.08, JPY: 162.4, ISK: 149.6, ZAR: 19.9 };
  var $ = function (id) { return document.getElementById(id); };

  function convert() {
    var amount = parseFloat($("amount").value);
    var from = $("from-currency").value;
    var to = $("to-currency").value;
    if (isNaN(amount)) { $("converted").textContent = "\u2013"; return; }
    var value = amount / RATES[from] * RATES[to];
    var digits = to === "JPY" || to === "ISK" ? 0 : 2;
    $("converted").textContent = value.toLocaleString("en-GB", { minimumFractionDigits: digits, maximumFractionDigits: digits }) + " " + to;
  }

  $("converter").addEventListener("input", convert);
  $("converter").addEventListener("change", convert);
  $("converter").addEventListener("submit", function (e) { e.preventDefault(); });
  $("swap-currency").addEventListener("click", function () {
    var f = $("from-currency").value;
    $("from-currency").value = $("to-currency").value;
    $("to-currency").value = f;
    convert();
  });
  $("frame-origin").textContent = location.origin;
  convert();
})();
