// The web wallet's progressive enhancement; every page works without this file.
(function () {
  "use strict";
  // After the server locked an idle wallet, load the page again so the screen stops showing
  // credentials (the server then sends the browser to the unlock page).
  var script = document.currentScript;
  var idle = parseInt((script && script.getAttribute("data-idle-seconds")) || "0", 10);
  if (idle > 0) {
    setTimeout(function () {
      window.location.assign(window.location.pathname + window.location.search);
    }, idle * 1000);
  }
  // Forms that talk to an agency or a service: say that it is working, and send only once.
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-sent") === "1") { event.preventDefault(); return; }
      form.setAttribute("data-sent", "1");
      var status = form.querySelector(".busy");
      if (status) { status.textContent = form.getAttribute("data-busy"); }
    });
  });
  // Coming back with the browser's Back button: the forms can be used again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      form.removeAttribute("data-sent");
      var status = form.querySelector(".busy");
      if (status) { status.textContent = ""; }
    });
  });
})();
