// Shared by the pages: formatting and API calls.
function pct(v) { return v == null ? "–" : (100 * v).toFixed(2) + " %"; }
function int(v) { return v == null ? "–" : Number(v).toLocaleString("en-US"); }
function when(t) {
  if (!t) return "–";
  const d = new Date(t), two = n => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}
function duration(job) {
  if (!job.startedAt) return "–";
  const end = job.finishedAt ? new Date(job.finishedAt) : new Date();
  const s = Math.max(0, Math.round((end - new Date(job.startedAt)) / 1000));
  return s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.floor(s % 3600 / 60)} min`
    : s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}
function statusBadge(status) {
  const span = document.createElement("span");
  span.className = "status " + status;
  span.textContent = status;
  return span;
}
/** One line for a refused request: the problem document's title and detail, or the status. */
function problemLine(response, body) {
  return (body.title || "Error " + response.status) + ": " + (body.detail || "");
}
async function problemText(response) {
  return problemLine(response, await response.json().catch(() => ({})));
}
async function getJson(url) {
  const r = await fetch(url, { headers: { Accept: "application/json", ...authHeaders() } });
  if (r.status === 401) askForToken();
  if (!r.ok) throw new Error(url + ": " + r.status);
  return r.json();
}
// The dashboard holds no token: the service keeps it in an HttpOnly, SameSite=Strict cookie, set by
// POST /api/v1/session (the form below) or by the address with ?token= printed at start. Writes say
// they are deliberate with X-Glora-Request, which no form on another site can send.
function authHeaders() {
  return { "X-Glora-Request": "1" };
}
async function storeToken(token) {
  const r = await fetch("/api/v1/session", { method: "POST",
    headers: { "X-Glora-Request": "1", Authorization: "Bearer " + token } });
  return r.status === 204;
}
function askForToken() {
  if (document.getElementById("auth")) return;
  const form = document.createElement("form");
  form.id = "auth";
  form.className = "card";
  form.innerHTML = '<label for="auth-token">This service needs its API token to show its jobs: open the'
    + ' address it printed at start, or give the token (glora-data/api-token by default).</label> <input id="auth-token" type="password" autocomplete="current-password">'
    + ' <button type="submit">Use token</button>';
  form.addEventListener("submit", async event => {
    event.preventDefault();
    if (await storeToken(document.getElementById("auth-token").value.trim())) window.location.reload();
    else form.querySelector("label").textContent = "That is not the service's API token. It is in the file the"
      + " service printed at start (glora-data/api-token by default).";
  });
  document.querySelector("main").prepend(form);
}
// what earlier versions kept where scripts could read it
localStorage.removeItem("glora-token");
if (document.cookie.includes("glora-token=")) document.cookie = "glora-token=; path=/; SameSite=Strict; max-age=0";
