// Operator pages: progressive enhancement only; every page works without this file.
// [data-copy="<input id>"]: a button that copies that field's text (the offer link).
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) { return; }
    var card = button.closest(".card");
    var status = card ? card.querySelector(".copy-status") : null;
    function say(ok) {
      if (status) {
        status.textContent = ok ? "Link copied." : "Could not copy: select the link and copy it by hand.";
      }
    }
    function byHand() {
      field.focus();
      field.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      say(ok);
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(function () { say(true); }, byHand);
      } else {
        byHand();
      }
    });
  });
})();
