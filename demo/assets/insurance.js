/* Insurance application: live premium, card formatting, client-side "submit".
   The confirmation never repeats the card number or the national ID. */
(function () {
  "use strict";

  var form = document.getElementById("insurance-form");
  if (!form) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var money = function (n) { return window.Northwind ? window.Northwind.money(n) : "\u20ac" + n.toFixed(2); };

  function selected(sel) { return sel.options[sel.selectedIndex]; }

  function premium() {
    var base = parseFloat(selected($("plan")).getAttribute("data-monthly"));
    var factor = parseFloat(selected($("region")).getAttribute("data-factor"));
    var extras = 0;
    form.querySelectorAll("input[name=cover]:checked").forEach(function (c) {
      extras += parseFloat(c.getAttribute("data-monthly"));
    });
    var total = Math.round((base * factor + extras) * 100) / 100;
    var el = $("premium");
    el.textContent = money(total);
    el.setAttribute("data-monthly", total.toFixed(2));
    var plan = $("plan").value;
    $("cancel-limit").textContent = plan === "essential" ? "Not covered" : plan === "plus" ? "\u20ac5,000" : "\u20ac10,000";
  }

  // Group the card number in fours as the visitor types (value rewritten by script).
  $("card-number").addEventListener("input", function () {
    var el = this;
    var digits = el.value.replace(/\D/g, "").slice(0, 19);
    var grouped = digits.replace(/(\d{4})(?=\d)/g, "$1 ");
    if (grouped !== el.value) { el.value = grouped; }
  });
  $("card-expiry").addEventListener("input", function () {
    var d = this.value.replace(/\D/g, "").slice(0, 4);
    var v = d.length > 2 ? d.slice(0, 2) + "/" + d.slice(2) : d;
    if (v !== this.value) { this.value = v; }
  });

  function validate() {
    var problems = [];
    if (!$("full-name").value.trim()) { problems.push("your name"); }
    if ($("email").value.indexOf("@") < 1) { problems.push("a valid email"); }
    if (!$("dob").value) { problems.push("your date of birth"); }
    if (!$("national-id").value.trim()) { problems.push("your ID number"); }
    if ($("card-number").value.replace(/\D/g, "").length < 12) { problems.push("a card number"); }
    if (!$("accept-terms").checked) { problems.push("your confirmation"); }
    $("form-error").textContent = problems.length ? "Please add " + problems.join(", ") + "." : "";
    return !problems.length;
  }

  form.addEventListener("change", premium);
  form.addEventListener("input", function (e) {
    if (e.target.name === "cover" || e.target.tagName === "SELECT") { premium(); }
  });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!validate()) { return; }
    $("confirm-name").textContent = $("full-name").value.trim();
    $("confirm-plan").textContent = selected($("plan")).textContent.split(":")[0];
    $("confirm-email").textContent = $("email").value.trim();
    $("confirm-reference").textContent = "POL-" + String(Date.now()).slice(-7);
    form.hidden = true;
    var panel = $("application-confirmation");
    panel.hidden = false;
    panel.focus();
  });

  $("new-application").addEventListener("click", function () {
    form.reset();
    $("form-error").textContent = "";
    $("application-confirmation").hidden = true;
    form.hidden = false;
    premium();
  });

  premium();
})();
