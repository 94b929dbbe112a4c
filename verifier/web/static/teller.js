// The teller's waiting page: count down to the code's expiry. Progressive enhancement only:
// without it the page says until when the code works, and drukid.js (or "Check now") brings
// the result.
(function () {
  "use strict";
  var el = document.querySelector("[data-seconds-left]");
  if (!el) { return; }
  var end = Date.now() + 1000 * parseInt(el.getAttribute("data-seconds-left"), 10);
  function tick() {
    var left = Math.max(0, Math.round((end - Date.now()) / 1000));
    el.textContent = left > 0
      ? "The code works for " + Math.floor(left / 60) + " min " + (left % 60) + " s more."
      : "The code has expired.";
    if (left > 0) { setTimeout(tick, 1000); }
  }
  tick();
})();
