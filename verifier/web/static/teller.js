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

// The offline check: the camera's frames go to the local verifier service, which decodes them
// with zxing-cpp (no decoder comes from the internet). Without it, photos can be uploaded.
(function () {
  "use strict";
  var box = document.querySelector("[data-frame-url]");
  var start = document.getElementById("camera-start");
  var video = document.getElementById("camera-video");
  var progress = document.getElementById("offline-progress");
  if (!box || !start || !video || !navigator.mediaDevices) { return; }
  var canvas = document.createElement("canvas");
  var busy = false;
  function send() {
    if (busy || !video.videoWidth) { return; }
    busy = true;
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob(function (blob) {
      fetch(box.getAttribute("data-frame-url"), {
        method: "POST", body: blob, credentials: "same-origin",
        headers: {"Content-Type": "image/png", "X-CSRF-Token": box.getAttribute("data-csrf")}
      }).then(function (r) { return r.json(); }).then(function (answer) {
        if (progress && answer.progress) { progress.textContent = answer.progress; }
        if (answer.complete) { window.location = box.getAttribute("data-reload-url"); }
        busy = false;
      }).catch(function () { busy = false; });
    }, "image/png");
  }
  start.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false})
      .then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        video.play();
        start.hidden = true;
        setInterval(send, 400);
      }).catch(function () {
        if (progress) { progress.textContent = "The camera is not available; upload photos instead."; }
      });
  });
})();
