// The jobs page: the table (live through /api/v1/events) and the submit form.
const SUPERNET = [["rank", "number"], ["ranks", "text"], ["epochs", "number"], ["batchSize", "number"],
  ["lr", "number"], ["weightDecay", "number"], ["warmupEpochs", "number"], ["threads", "number"],
  ["sampling", "select"]];
const SEARCH = [["population", "number"], ["generations", "number"], ["topK", "number"], ["mutations", "number"],
  ["crossovers", "number"], ["mutationProbability", "number"], ["maxParams", "number"], ["minParams", "number"],
  ["objective", "select"], ["init", "select"], ["rerankList", "text"], ["rerankTop", "number"], ["seeds", "select"],
  ["finalists", "number"], ["finalistEpochs", "number"]];
const RETRAIN = [["epochs", "number"], ["lr", "number"], ["warmupEpochs", "number"], ["trainList", "select"],
  ["start", "select"]];
const BASELINE = [["lora", "select"], ["rank", "number"], ["epochs", "number"]];
// the closed sets of a spec's text fields come from the service (GET /api/v1/jobs/choices), which
// checks a submitted spec against the same lists; the baseline's switch is a JSON boolean
const CHOICES = { "baseline.lora": ["false", "true"] };
const rows = new Map();

function row(job) {
  let tr = rows.get(job.id);
  if (!tr) {
    tr = document.createElement("tr");
    tr.dataset.job = job.id;
    rows.set(job.id, tr);
    const body = document.querySelector("#jobs tbody");
    const newer = [...body.children].find(r => Number(r.dataset.job) < job.id);
    body.insertBefore(tr, newer || null);
  }
  const link = document.createElement("a");
  link.href = "/job.html?id=" + job.id;
  link.textContent = `#${job.id} ${job.name}`;
  const progress = document.createElement("progress");
  progress.max = 1;
  progress.value = job.progress;
  const tested = pct(job.testAccuracy) + (job.baselineTestAccuracy == null ? ""
    : ` (${pct(job.baselineTestAccuracy)})`);
  const cells = [link, statusBadge(job.status), progress, pct(job.bestValidationAccuracy), int(job.bestParameters),
    tested, when(job.createdAt), duration(job)];
  tr.replaceChildren(...cells.map((c, i) => {
    const td = document.createElement("td");
    if (i >= 3 && i !== 6) td.className = "num";
    if (i === 2) td.append(c, " " + Math.round(100 * job.progress) + " %"); else td.append(c);
    return td;
  }));
  document.getElementById("no-jobs").hidden = true;
}

async function loadJobs() {
  const jobs = await getJson("/api/v1/jobs");
  jobs.slice().reverse().forEach(row);
  document.getElementById("no-jobs").hidden = jobs.length > 0;
}

function listen() {
  const source = new EventSource("/api/v1/events");
  const live = document.getElementById("live");
  source.onopen = () => { live.textContent = "live"; loadJobs(); };
  source.onerror = () => { live.textContent = "reconnecting…"; };
  const refresh = e => getJson("/api/v1/jobs/" + JSON.parse(e.data).job).then(row);
  ["status", "epoch", "generation"].forEach(type => source.addEventListener(type, refresh));
}

function input(group, [name, type], value) {
  const div = document.createElement("div");
  const id = `f-${group}-${name}`;
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = name;
  let field;
  if (type === "select") {
    field = document.createElement("select");
    for (const option of CHOICES[`${group}.${name}`]) field.add(new Option(option, option));
  } else {
    field = document.createElement("input");
    field.type = type;
    if (type === "number") field.step = "any";
  }
  field.id = id;
  field.dataset.field = group + "." + name;
  field.value = Array.isArray(value) ? value.join(",") : value;
  const error = document.createElement("div");
  error.className = "field-error";
  div.append(label, field, error);
  return div;
}

async function loadCatalog(selectModel) {
  const [models, datasets] = await Promise.all([getJson("/api/v1/models"), getJson("/api/v1/datasets")]);
  const backbone = document.getElementById("f-backbone"), data = document.getElementById("f-data");
  const keepModel = selectModel || backbone.value, keepData = data.value;
  backbone.length = 1;
  data.length = 1;
  const modelRows = document.querySelector("#models tbody");
  modelRows.replaceChildren();
  for (const m of models) {
    if (m.kind === "plain") backbone.add(new Option(`${m.name} (${m.architecture})`, m.name));
    const tr = modelRows.insertRow();
    const source = m.provenance.source_file ? `${m.provenance.source_file} (${m.provenance.source_format})`
      : (m.provenance.producer || "");
    for (const v of [m.name, m.kind, m.architecture || m.error || "–", int(m.parameters), source]) {
      tr.insertCell().textContent = v;
    }
    tr.cells[3].className = "num";
    tr.insertCell().append(deleteButton("model", "/api/v1/models/", m.name));
  }
  const dataRows = document.querySelector("#datasets tbody");
  dataRows.replaceChildren();
  for (const d of datasets) {
    if (!d.error) data.add(new Option(`${d.name} (${d.classes} classes)`, d.name));
    const tr = dataRows.insertRow();
    const splits = Object.entries(d.splits).map(([k, v]) => `${k} ${v}`).join(", ");
    const classes = d.error ? "–" : d.classes + (d.classNames.length ? ` (${d.classNames.join(", ")})` : "");
    for (const v of [d.name, classes, d.error || splits]) tr.insertCell().textContent = v;
    tr.cells[1].className = "num";
    tr.insertCell().append(deleteButton("data set", "/api/v1/datasets/", d.name));
  }
  if ([...backbone.options].some(o => o.value === keepModel)) backbone.value = keepModel;
  if ([...data.options].some(o => o.value === keepData)) data.value = keepData;
}

/**
 * A row's delete button: asks first, then deletes the file through the API and redraws the tables; the
 * service's refusal (a job that still uses the file) shows above the tables.
 */
function deleteButton(kind, endpoint, name) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "secondary";
  button.textContent = "delete";
  button.setAttribute("aria-label", `delete ${kind} ${name}`);
  button.addEventListener("click", async () => {
    const problem = document.getElementById("catalog-problem");
    problem.textContent = "";
    if (!confirm(`Delete the ${kind} ${name}? Finished jobs keep their results; this cannot be undone.`)) return;
    const response = await fetch(endpoint + name.split("/").map(encodeURIComponent).join("/"), { method: "DELETE",
      headers: { "X-Glora-Request": "1", ...authHeaders() } });
    if (response.status === 204 || response.status === 404) {
      await loadCatalog();
    } else {
      problem.textContent = await problemText(response);
    }
  });
  return button;
}

/**
 * Sends a file chosen in one of the upload forms (prefix "u": a model, "d": a data set) with the
 * form's other fields as query parameters; reports the result or the problem beside the form.
 */
async function sendUpload(form, endpoint, contentType, fields, done) {
  const status = document.getElementById(form + "-status"), problem = document.getElementById(form + "-problem");
  problem.textContent = "";
  const file = document.getElementById(fields.file).files[0];
  if (!file) { problem.textContent = "Choose a file first."; return; }
  const params = new URLSearchParams({ name: document.getElementById(fields.name).value.trim()
    || file.name.replace(/\.zip$/i, "") });
  for (const [key, id] of fields.params) {
    const value = document.getElementById(id).value.trim();
    if (value) params.set(key, value);
  }
  status.textContent = "uploading and checking…";
  const response = await fetch(endpoint + "?" + params, { method: "POST",
    headers: { "Content-Type": contentType, ...authHeaders() }, body: file });
  status.textContent = "";
  const body = await response.json().catch(() => ({}));
  if (response.status === 201) {
    status.textContent = done(body);
  } else {
    problem.textContent = problemLine(response, body);
  }
}

async function upload(event) {
  event.preventDefault();
  let added = null;
  await sendUpload("upload", "/api/v1/models", "application/octet-stream", { file: "u-file", name: "u-name",
    params: [["arch", "u-arch"], ["numHeads", "u-heads"], ["mean", "u-mean"], ["std", "u-std"], ["imgSize", "u-img"]] },
  body => { added = body.name; return `imported ${body.name} (${body.architecture})`; });
  if (added) await loadCatalog(added);
}

async function uploadData(event) {
  event.preventDefault();
  let added = null;
  await sendUpload("data-upload", "/api/v1/datasets", "application/zip", { file: "d-file", name: "d-name",
    params: [["seed", "d-seed"], ["trainSize", "d-train"], ["valSize", "d-val"], ["testSize", "d-test"]] },
  body => { added = body.name; return `added ${body.name} (${body.classes} classes)`; });
  if (added) {
    await loadCatalog();
    document.getElementById("f-data").value = added;
  }
}

async function buildForm() {
  await loadCatalog();
  document.getElementById("upload").addEventListener("submit", upload);
  document.getElementById("data-upload").addEventListener("submit", uploadData);
  const [defaults, choices] = await Promise.all([getJson("/api/v1/jobs/defaults"), getJson("/api/v1/jobs/choices")]);
  Object.assign(CHOICES, choices);
  document.getElementById("f-seed").value = defaults.seed;
  // the ranks follow the search's limit unless given (Supernet.ranksFor), as the service decides them
  document.getElementById("supernet-fields").append(...SUPERNET.map(f => input("supernet", f,
    f[0] === "rank" || f[0] === "ranks" ? "" : defaults.supernet[f[0]])));
  document.getElementById("f-supernet-rank").placeholder = "the largest of ranks";
  document.getElementById("f-supernet-ranks").placeholder =
    `with a maxParams: 4,2, or r,r/2 where its LoRA on qkv reaches rank r ≥ 16; else ${defaults.supernet.ranks.join(",")}`;
  // finalists' epochs follow whether there are finalists (seeds or a count), as the service decides
  // the finalists and their epochs follow the rest of the form, as the service decides them
  document.getElementById("search-fields").append(...SEARCH.map(f => input("search", f,
    f[0] === "finalistEpochs" || f[0] === "finalists" ? "" : defaults.search[f[0]])));
  document.getElementById("f-search-finalists").placeholder = `${defaults.search.finalists} (0 with a rerank list)`;
  document.getElementById("f-search-finalistEpochs").placeholder = "5 when there are finalists";
  document.getElementById("retrain-fields").append(...RETRAIN.map(f => input("retrain", f, defaults.retrain[f[0]])));
  // a baseline's epochs default to the pipeline's own (supernet, finalists, retraining), whatever those are set to
  document.getElementById("baseline-fields").append(...BASELINE.map(f => input("baseline", f,
    f[0] === "epochs" ? "" : String(defaults.baseline[f[0]]))));
  document.getElementById("f-baseline-epochs").placeholder = "the pipeline's whole budget";
  document.querySelector("label[for=f-baseline-rank]").textContent = "rank (0: the largest within the searched size)";
  document.getElementById("submit").addEventListener("submit", submit);
}

function spec() {
  const body = { supernet: {}, search: {}, retrain: {}, baseline: {} };
  for (const field of document.querySelectorAll("[data-field]")) {
    const path = field.dataset.field.split(".");
    let value = field.value.trim();
    if (value === "") continue;
    if (path[1] === "ranks") value = value.split(",").map(v => Number(v.trim()));
    else if (field.type === "number") value = Number(value);
    else if (path[1] === "lora") value = value === "true";
    if (path.length === 1) body[path[0]] = value; else body[path[0]][path[1]] = value;
  }
  return body;
}

async function submit(event) {
  event.preventDefault();
  document.querySelectorAll(".field-error").forEach(e => { e.textContent = ""; });
  document.querySelectorAll("[aria-invalid]").forEach(e => e.removeAttribute("aria-invalid"));
  const problem = document.getElementById("form-problem");
  problem.textContent = "";
  const response = await fetch("/api/v1/jobs", { method: "POST",
    headers: { "Content-Type": "application/json", ...authHeaders() }, body: JSON.stringify(spec()) });
  if (response.status === 201) {
    const job = await response.json();
    row(job);
    window.location.href = "/job.html?id=" + job.id;
    return;
  }
  const body = await response.json().catch(() => ({}));
  const unplaced = [];
  for (const error of body.errors || []) {
    const field = document.querySelector(`[data-field="${error.field}"]`);
    if (field) {
      field.setAttribute("aria-invalid", "true");
      field.parentElement.querySelector(".field-error").textContent = error.message;
    } else {
      unplaced.push(error.field + " " + error.message);
    }
  }
  problem.textContent = (body.title || "Error " + response.status) + (unplaced.length ? ": " + unplaced.join("; ")
    : body.errors ? ": see the fields marked below" : ": " + (body.detail || ""));
}

loadJobs().then(listen);
buildForm();
