// A little enhancement; every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // "Copy the link" next to a petition's address.
  document.querySelectorAll("button.copy[data-copy]").forEach(function (b) {
    if (!navigator.clipboard) { return; }
    b.hidden = false;
    b.addEventListener("click", function () {
      var input = document.getElementById(b.getAttribute("data-copy"));
      navigator.clipboard.writeText(input.value).then(function () {
        b.textContent = b.getAttribute("data-done");
      });
    });
  });
  // The association's fields matter only for an association's petition.
  var assoc = document.getElementById("association-fields");
  var radios = document.querySelectorAll("input[name=kind]");
  if (assoc && radios.length) {
    var sync = function () {
      assoc.hidden = !document.getElementById("kind-association").checked;
    };
    radios.forEach(function (r) { r.addEventListener("change", sync); });
    sync();
  }
  // Move focus to an error, so keyboard and screen-reader users hear it.
  var err = document.getElementById("error");
  if (err) { err.setAttribute("tabindex", "-1"); err.focus(); }
});
