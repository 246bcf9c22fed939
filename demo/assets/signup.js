/* Account sign-up: coarse strength hint, confirmation check, client-side "submit".
   Only a coarse strength label is shown; the password itself never reaches the DOM. */
(function () {
  "use strict";

  var form = document.getElementById("signup-form");
  if (!form) { return; }
  var $ = function (id) { return document.getElementById(id); };

  function strength(pw) {
    if (!pw) { return "none"; }
    var kinds = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter(function (r) { return r.test(pw); }).length;
    if (pw.length < 10) { return "weak"; }
    return kinds >= 3 && pw.length >= 12 ? "strong" : "fair";
  }

  var LABELS = { none: "At least 10 characters.", weak: "Too short: at least 10 characters.", fair: "Fair: add symbols or length.", strong: "Strong password." };

  function check() {
    var pw = $("password").value;
    var s = strength(pw);
    var hint = $("password-strength");
    hint.textContent = LABELS[s];
    hint.setAttribute("data-strength", s);
    hint.className = "hint" + (s === "strong" ? " ok" : "");
    var confirm = $("confirm-password").value;
    var match = $("password-match");
    if (!confirm) { match.textContent = ""; match.className = "hint"; }
    else if (confirm === pw) { match.textContent = "Passwords match."; match.className = "hint ok"; }
    else { match.textContent = "Passwords don't match yet."; match.className = "hint"; }
  }

  form.addEventListener("input", check);

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var user = $("username").value.trim();
    var problems = [];
    if (!/^[A-Za-z0-9.\-]{3,30}$/.test(user)) { problems.push("a username of 3 to 30 letters, digits, dots or dashes"); }
    if ($("signup-email").value.indexOf("@") < 1) { problems.push("a valid email"); }
    if ($("password").value.length < 10) { problems.push("a password of at least 10 characters"); }
    else if ($("password").value !== $("confirm-password").value) { problems.push("the same password twice"); }
    if (!$("terms").checked) { problems.push("acceptance of the terms"); }
    $("signup-error").textContent = problems.length ? "Please enter " + problems.join(", ") + "." : "";
    if (problems.length) { return; }
    $("welcome-name").textContent = user;
    form.hidden = true;
    var panel = $("signup-confirmation");
    panel.hidden = false;
    panel.focus();
  });
})();
