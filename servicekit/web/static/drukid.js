// drukid pages: progressive enhancement only; every page works without this file.
// [data-poll-url]: fetch JSON every few seconds and reload when "status" changes.
(function () {
  "use strict";
  function poll(el) {
    var url = el.getAttribute("data-poll-url");
    var current = el.getAttribute("data-status");
    var delay = parseInt(el.getAttribute("data-poll-ms") || "2000", 10);
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          if (body && body.status && body.status !== current) { window.location.reload(); return; }
          setTimeout(tick, delay);
        })
        .catch(function () { setTimeout(tick, delay * 2); });
    }
    setTimeout(tick, delay);
  }
  document.querySelectorAll("[data-poll-url]").forEach(poll);
  // Buttons with data-confirm ask before submitting (revoke, delete).
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (event) {
      if (!window.confirm(el.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
