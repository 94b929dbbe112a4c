// The teller page: start a check, show the QR code, show the answer in plain words.
// Data minimisation: the API key lives in this tab's sessionStorage only; results are never
// stored and leave the screen after two minutes. Only textContent is used (no HTML from data).
"use strict";

const LABELS = {
  full_name: "Full name", given_name: "Given name", family_name: "Family name",
  cid: "Citizenship ID (CID)", birthdate: "Date of birth", gender: "Gender",
  citizenship: "Citizenship", place_of_birth: "Place of birth", age_over_18: "Over 18",
  age_over_21: "Over 21", address: "Permanent address", dzongkhag: "Dzongkhag", gewog: "Gewog",
  village: "Village", house_number: "House number", licence_number: "Licence number",
  business_name: "Business name", owner_cid: "Owner's CID", owner_name: "Owner",
  activity: "Business activity", valid_until: "Valid until",
};
const CLEAR_AFTER_MS = 120000;
const POLL_MS = 1500;
let pollTimer = null;
let clearTimer = null;
let countdownTimer = null;

const $ = (id) => document.getElementById(id);
const key = () => sessionStorage.getItem("drukid-api-key");

function show(section) {
  for (const id of ["login", "choose", "waiting", "result"]) $(id).hidden = id !== section;
}

function problem(text) {
  $("problem").textContent = text;
  $("problem").hidden = !text;
}

async function api(method, path, body) {
  const options = { method, headers: { Authorization: `Bearer ${key()}` } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  if (response.status === 401) {
    sessionStorage.removeItem("drukid-api-key");
    show("login");
    throw new Error("This API key is not accepted. Please sign in again.");
  }
  return response;
}

function label(name) {
  return LABELS[name] || name.replaceAll("_", " ");
}

function text(value) {
  if (value === true) return "Yes";
  if (value === false) return "No";
  if (Array.isArray(value)) return value.map(text).join(", ");
  if (value && typeof value === "object") {
    return Object.entries(value).map(([k, v]) => `${label(k)}: ${text(v)}`).join("; ");
  }
  return String(value);
}

function when(seconds) {
  return seconds ? new Date(seconds * 1000).toLocaleString() : "unknown";
}

function stopTimers() {
  clearInterval(pollTimer);
  clearTimeout(clearTimer);
  clearInterval(countdownTimer);
}

function reset() {
  stopTimers();
  $("qr").removeAttribute("src");
  $("claims").tBodies[0].replaceChildren();
  $("reason").textContent = "";
  $("provenance").textContent = "";
  $("result").removeAttribute("data-status");
  problem("");
  show(key() ? "choose" : "login");
}

async function loadTemplates() {
  const response = await api("GET", "/api/v1/templates");
  const templates = await response.json();
  const box = $("templates");
  box.replaceChildren();
  for (const template of templates) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = template.title;
    button.dataset.template = template.id;
    button.addEventListener("click", () => start(template.id).catch((e) => problem(e.message)));
    box.append(button);
  }
}

async function start(template) {
  problem("");
  const response = await api("POST", "/api/v1/requests", { template });
  const created = await response.json();
  if (!response.ok) throw new Error(created.error_description || "The check could not start.");
  const svg = await (await api("GET", `/api/v1/requests/${created.id}/qr.svg`)).text();
  $("qr").src = "data:image/svg+xml;base64," + btoa(unescape(encodeURIComponent(svg)));
  $("purpose").textContent = created.purpose;
  $("waiting").dataset.requestId = created.id;
  show("waiting");
  countdownTimer = setInterval(() => {
    const left = Math.max(0, created.expires_at - Math.floor(Date.now() / 1000));
    $("countdown").textContent = `The code works for ${Math.floor(left / 60)} min ${left % 60} s.`;
  }, 1000);
  pollTimer = setInterval(() => poll(created.id).catch((e) => problem(e.message)), POLL_MS);
}

async function poll(id) {
  const response = await api("GET", `/api/v1/requests/${id}`);
  const view = await response.json();
  if (!response.ok) throw new Error(view.error_description || "The check was lost.");
  if (view.status === "pending") return;
  stopTimers();
  $("qr").removeAttribute("src");
  render(view);
  clearTimer = setTimeout(reset, CLEAR_AFTER_MS);
}

function render(view) {
  const verdict = $("verdict");
  const rows = $("claims").tBodies[0];
  rows.replaceChildren();
  $("result").dataset.status = view.status;
  if (view.status === "verified") {
    verdict.className = "verdict ok";
    verdict.textContent = "✔ Verified";
    $("reason").textContent = "The credential is genuine, valid and was shared by its holder.";
    for (const presentations of Object.values(view.credentials || {})) {
      for (const item of presentations) {
        for (const [name, value] of Object.entries(item.claims)) {
          const row = rows.insertRow();
          const th = document.createElement("th");
          th.textContent = label(name);
          row.append(th);
          row.insertCell().textContent = text(value);
        }
        const status = item.status === "unknown"
          ? "status could not be checked (the issuer was unreachable)"
          : `status checked as of ${when(item.status_checked_at)}`;
        $("provenance").textContent =
          `Issued by ${item.issuer_name}; ${status}; trust list as of ${when(item.trust_valid_as_of)}.`;
      }
    }
  } else if (view.status === "rejected") {
    verdict.className = "verdict bad";
    verdict.textContent = "✘ Not accepted";
    $("reason").textContent = view.error ? view.error.explanation : "The credential was not accepted.";
  } else {
    verdict.className = "verdict gone";
    verdict.textContent = "Nobody answered in time";
    $("reason").textContent = "The code expired. Start a new check if the customer is still here.";
  }
  show("result");
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem("drukid-api-key", $("api-key").value.trim());
    $("api-key").value = "";
    show("choose");
    loadTemplates().catch((e) => problem(e.message));
  });
  $("logout").addEventListener("click", () => {
    sessionStorage.removeItem("drukid-api-key");
    reset();
  });
  $("cancel").addEventListener("click", reset);
  $("again").addEventListener("click", reset);
  reset();
  if (key()) loadTemplates().catch((e) => problem(e.message));
});
