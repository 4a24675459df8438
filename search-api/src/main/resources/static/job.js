// A job's page: history first (the event stream replays it), then live; no reload, no polling.
const id = new URLSearchParams(location.search).get("id");
const epochs = [];
const generations = [];
let job = null;
let candidates = [];
// the service's own Pareto front (/pareto: every candidate, Pareto.java's ties), not one recomputed
// here from the top 1,000 by accuracy, which would drop small points of the front
let paretoFront = [];
let chosenKey = null;

const TRAINING = [
  { name: "training loss", cls: "loss", color: "#c2410c", marker: "square", line: true, key: "loss" },
  { name: "val. accuracy, random paths", cls: "val-random", color: "#0b62d6", marker: "circle", line: true,
    key: "random" },
  { name: "val. accuracy, all-LoRA", cls: "val-lora", color: "#1a7f37", marker: "triangle", line: true,
    dash: "5 3", key: "all-lora" },
];
const FITNESS = [
  { name: "best", cls: "best", color: "#1a7f37", marker: "triangle", line: true, key: "best" },
  { name: "mean", cls: "mean", color: "#0b62d6", marker: "circle", line: true, dash: "5 3", key: "mean" },
  { name: "worst", cls: "worst", color: "#c2410c", marker: "square", line: true, dash: "2 3", key: "worst" },
];

function drawTraining() {
  const series = TRAINING.map(s => ({ ...s, points: epochs.map(e => ({ x: e.epoch,
    y: s.key === "loss" ? e.loss : e.validation[s.key], title: `epoch ${e.epoch}` }))
    .filter(p => p.y != null) }));
  legend(document.getElementById("training-legend"), series);
  drawChart(document.getElementById("training-chart"), series, { xLabel: "epoch", yLabel: "loss / accuracy",
    yMin: 0, empty: "training has not finished an epoch yet" });
}

function drawFitness() {
  const series = FITNESS.map(s => ({ ...s, points: generations.map(g => ({ x: g.generation + 1, y: g[s.key],
    title: `generation ${g.generation + 1}: ${s.name} ${pct(g[s.key])}` })) }));
  legend(document.getElementById("fitness-legend"), series);
  drawChart(document.getElementById("fitness-chart"), series, { xLabel: "generation", yLabel: "val. accuracy",
    empty: "no generation yet" });
}

function drawPareto() {
  const pts = candidates.map(c => ({ x: c.parameters, y: c.accuracy, key: c.key,
    title: `${int(c.parameters)} params, ${pct(c.accuracy)} (generation ${c.generation + 1})` }));
  const onFront = paretoFront.slice().sort((a, b) => a.trainable_parameters - b.trainable_parameters)
    .map(p => ({ x: p.trainable_parameters, y: p.validation_accuracy,
      title: `front: ${int(p.trainable_parameters)} params, ${pct(p.validation_accuracy)}` }));
  const chosen = pts.filter(p => p.key === chosenKey);
  const seeded = candidates.filter(c => c.seed).map(c => ({ x: c.parameters, y: c.accuracy,
    title: `seed ${c.seed}: ${int(c.parameters)} params, ${pct(c.accuracy)}` }));
  const series = [
    { name: "candidate", cls: "candidate", color: "#8a949e", marker: "circle", points: pts },
    { name: "seeded known adapter", cls: "seeded", color: "#b45309", marker: "square", points: seeded },
    { name: "Pareto front", cls: "front", color: "#0b62d6", marker: "square", line: true, points: onFront },
    { name: "chosen", cls: "chosen", color: "#c62828", marker: "triangle", points: chosen },
  ];
  const max = job && job.spec.search.maxParams;
  legend(document.getElementById("pareto-legend"), series.concat(max >= 0
    ? [{ name: "parameter limit", color: "#c62828", dash: "6 3", line: true, marker: "none" }] : []));
  drawChart(document.getElementById("pareto-chart"), series, { xLabel: "trainable parameters",
    yLabel: "val. accuracy", vLine: max >= 0 ? { x: max, label: "limit " + int(max) } : null,
    empty: "no candidate yet" });
}

function modeClass(mode) {
  if (mode.startsWith("LoRA")) return ["mode-lora", "L" + mode.split("_")[1]];
  if (mode === "vector") return ["mode-vector", "V"];
  if (mode === "constant" || mode === "scalar") return ["mode-scalar", "S"];
  return ["mode-none", "–"];
}

function drawAdapter(config) {
  const table = document.getElementById("adapter");
  const counts = config.layer_parameters || {};
  const largest = Math.max(1, ...Object.values(counts));
  const head = document.createElement("tr");
  head.innerHTML = "<th>layer</th><th>A</th><th>B</th><th>C</th><th>D</th><th>E</th><th class='num'>parameters</th>";
  const rows = config.layers.map(layer => {
    const tr = document.createElement("tr");
    const name = document.createElement("th");
    name.textContent = layer.layer;
    tr.append(name);
    for (const term of ["A", "B", "C", "D", "E"]) {
      const [cls, text] = modeClass(layer[term]);
      const td = document.createElement("td");
      td.className = cls;
      td.textContent = text;
      td.title = `${layer.layer} ${term}: ${layer[term]}`;
      tr.append(td);
    }
    const n = counts[layer.layer] || 0;
    const td = document.createElement("td");
    td.className = "num";
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.width = (6 * n / largest) + "rem";
    td.append(int(n) + " ", bar);
    tr.append(td);
    return tr;
  });
  table.replaceChildren(head, ...rows);
  document.getElementById("adapter-note").textContent =
    `${int(config.trainable_parameters)} trainable parameters (+${int(config.head_parameters)} head); validation `
    + `${pct(config.validation_accuracy)}, test ${pct(config.test_accuracy)} with the supernet's weights`
    + (config.retrained ? `; retrained ${config.retrained.epochs} epoch${config.retrained.epochs === 1 ? "" : "s"}`
      + (config.retrained.train_list ? ` on ${config.retrained.train_list}` : "")
      + (config.retrained.start === "fresh" ? " from fresh adapters" : "")
      + (config.retrained.validation_accuracy === undefined ? ": validation not held out"
        : `: validation ${pct(config.retrained.validation_accuracy)}`)
      + `, test ${pct(config.retrained.test_accuracy)}`
      + " (the model to download)." : ".");
  drawBaseline(config.baseline);
  if (config.finalists) refreshFinalists(config.finalists);
  document.getElementById("adapter-legend").hidden = false;
  const best = candidates.find(c => c.parameters === config.trainable_parameters
    && c.accuracy === config.validation_accuracy);
  chosenKey = best ? best.key : null;
  drawPareto();
}

/** The finalists: proxy val against val after the short training, and which one the job chose. */
function drawFinalists(rows, summary) {
  const section = document.getElementById("finalists-card");
  section.hidden = !rows.length;
  if (!rows.length) return;
  const table = document.getElementById("finalists");
  const head = document.createElement("tr");
  head.innerHTML = "<th class='num'>#</th><th class='num'>proxy val.</th><th class='num'>val. after short training</th>"
    + "<th class='num'>parameters</th><th>seed</th><th>chosen</th>";
  const chosen = summary ? summary.candidates.findIndex(c => c.chosen) : -1;
  const body = rows.map((f, i) => {
    const tr = document.createElement("tr");
    const cells = [String(f.ordinal + 1), pct(f.proxyAccuracy), pct(f.accuracy), int(f.parameters), f.seed || "–",
      i === chosen ? "chosen" : ""];
    cells.forEach((text, c) => {
      const td = document.createElement("td");
      if (c !== 4 && c !== 5) td.className = "num";
      td.textContent = text;
      tr.append(td);
    });
    if (i === chosen) tr.className = "chosen";
    return tr;
  });
  table.replaceChildren(head, ...body);
  document.getElementById("finalists-note").textContent = summary
    ? `${summary.count} finalists, each trained ${summary.epochs} epoch${summary.epochs === 1 ? "" : "s"} on `
      + `${summary.train_list} from the supernet's weights; the best after it is the job's choice.`
    : "Finalists are trained briefly from the supernet's weights; the best after it becomes the job's choice.";
}

let finalistSummary = null;
async function refreshFinalists(summary) {
  // the best-config's summary, once the job has one, says which finalist won
  if (summary) finalistSummary = summary;
  drawFinalists(await getJson(`/api/v1/jobs/${id}/finalists`), finalistSummary);
}

/**
 * The job's LoRA baseline, beside the delivered adapter: the answer to "would plain LoRA have done as well?"
 * A gap within two standard errors of the test split's sampling error (each accuracy a binomial proportion
 * over the split's images) is no lead; either way both sides had one training seed.
 */
async function drawBaseline(b) {
  const note = document.getElementById("baseline-note"), download = document.getElementById("download-baseline");
  note.hidden = !b;
  download.hidden = !b;
  if (!b) return;
  download.href = `/api/v1/jobs/${id}/baseline-model`;
  let images = null;
  try {
    images = (await getJson("/api/v1/datasets/" + job.spec.data)).splits.test || null;
  } catch (e) {
    images = null; // the task folder is gone: no sampling error to state
  }
  note.textContent = `LoRA baseline: rank ${b.rank} on ${b.layers}, ${int(b.trainable_parameters)} trainable `
    + `parameters (the searched adapter: ${int(b.searched_trainable_parameters)}), ${b.epochs} epoch`
    + `${b.epochs === 1 ? "" : "s"} on ${b.train_list}: test ${pct(b.test_accuracy)} against the delivered model's `
    + `${pct(b.delivered_test_accuracy)}; ${baselineVerdict(b.delivered_test_accuracy, b.test_accuracy, images)}`
    + " on this test split, one training seed each (a LoRA's test accuracy alone can move by points between"
    + " seeds). The same LoRA from the command line: ";
  const code = document.createElement("code");
  code.textContent = b.command;
  note.append(code);
}

/** Who leads, if anyone: a gap within two standard errors over `images` test images is none. */
function baselineVerdict(delivered, lora, images) {
  const gap = 100 * (delivered - lora);
  if (images) {
    const twoSe = 200 * Math.sqrt((delivered * (1 - delivered) + lora * (1 - lora)) / images);
    if (Math.abs(gap) <= twoSe) {
      return `a gap of ${Math.abs(gap).toFixed(2)} points, within the sampling error of ${int(images)} test images`
        + ` (±${twoSe.toFixed(2)} at two standard errors): neither leads`;
    }
  }
  return gap > 0 ? `the searched adapter leads by ${gap.toFixed(2)} points`
    : gap < 0 ? `LoRA leads by ${(-gap).toFixed(2)} points` : "they tie";
}

function eta() {
  if (!job.startedAt || job.status === "SUCCEEDED" || job.progress <= 0) return "–";
  const elapsed = (Date.now() - new Date(job.startedAt)) / 1000;
  const left = elapsed / job.progress - elapsed;
  return left > 90 ? Math.round(left / 60) + " min" : Math.round(left) + " s";
}

function drawJob() {
  document.title = `GLoRA search: #${job.id} ${job.name}`;
  document.getElementById("title").textContent = `#${job.id} ${job.name}`;
  document.getElementById("status").replaceChildren(statusBadge(job.status));
  const facts = [["backbone", `${job.spec.backbone} (${job.architecture || "architecture not recorded"})`],
    ["data", job.spec.data], ["supernet epochs", `${job.epochs.done} / ${job.epochs.total}`],
    ["generations", `${job.generations.done} / ${job.generations.total}`],
    ["candidates evaluated", int(job.candidatesEvaluated)], ["best val. accuracy", pct(job.bestValidationAccuracy)],
    ["trainable params", int(job.bestParameters)], ["test accuracy", pct(job.testAccuracy)],
    ["seed", job.seed], ["duration", duration(job)], ["ETA", eta()]];
  document.getElementById("facts").replaceChildren(...facts.map(([k, v]) => {
    const div = document.createElement("div");
    div.innerHTML = `<b></b>`;
    div.firstChild.textContent = k;
    div.append(String(v));
    return div;
  }));
  document.getElementById("progress").value = job.progress;
  document.getElementById("progress-text").textContent = Math.round(100 * job.progress) + " %";
  const running = !["SUCCEEDED", "FAILED", "CANCELLED"].includes(job.status);
  document.getElementById("cancel").hidden = !running;
  document.getElementById("delete").hidden = running;
  const done = job.status === "SUCCEEDED";
  for (const [elId, path] of [["download-config", "best-config"], ["download-model", "model"], ["download-bundle", "bundle"],
      ["download-onnx", "onnx"], ["download-transformers", "transformers"], ["download-supernet", "supernet"]]) {
    const a = document.getElementById(elId);
    a.hidden = !done;
    a.href = `/api/v1/jobs/${job.id}/${path}`;
  }
  document.getElementById("try-card").hidden = !done;
  const error = document.getElementById("error");
  error.hidden = !job.error;
  error.textContent = job.error || "";
}

async function refreshJob() {
  job = await getJson("/api/v1/jobs/" + id);
  drawJob();
  if (job.status === "SUCCEEDED" && !document.getElementById("adapter").rows.length) {
    candidates = await getJson(`/api/v1/jobs/${id}/candidates?top=1000`);
    drawAdapter(await getJson(`/api/v1/jobs/${id}/best-config`));
  }
}

async function refreshCandidates() {
  const [top, pareto] = await Promise.all([getJson(`/api/v1/jobs/${id}/candidates?top=1000`),
    getJson(`/api/v1/jobs/${id}/pareto`)]);
  candidates = top;
  paretoFront = pareto.front || [];
  drawPareto();
}

function listen() {
  const source = new EventSource(`/api/v1/jobs/${id}/events`);
  const live = document.getElementById("live");
  source.onopen = () => { live.textContent = "live"; };
  source.onerror = () => { live.textContent = "reconnecting…"; };
  source.addEventListener("epoch", e => {
    const epoch = JSON.parse(e.data);
    if (!epochs.some(x => x.epoch === epoch.epoch)) { epochs.push(epoch); drawTraining(); }
    refreshJob();
  });
  source.addEventListener("generation", e => {
    const g = JSON.parse(e.data);
    if (!generations.some(x => x.generation === g.generation)) { generations.push(g); drawFitness(); }
    refreshCandidates();
    refreshJob();
  });
  source.addEventListener("status", () => refreshJob());
  source.addEventListener("finalist", () => refreshFinalists(null));
}

document.getElementById("cancel").addEventListener("click", async () => {
  const r = await fetch(`/api/v1/jobs/${id}/cancel`, { method: "POST",
    headers: { "X-Glora-Request": "1", ...authHeaders() } });
  if (!r.ok) alert(await problemText(r));
  refreshJob();
});

document.getElementById("delete").addEventListener("click", async () => {
  if (!confirm(`Delete job ${id} and everything it produced (its models, history and candidates)? This cannot be`
      + " undone.")) return;
  const r = await fetch(`/api/v1/jobs/${id}`, { method: "DELETE", headers: { "X-Glora-Request": "1", ...authHeaders() } });
  if (r.ok || r.status === 404) window.location.assign("/");
  else alert(await problemText(r));
});

// "Try the model": POST the images to /predict and list each one's top 5
async function tryImages(files) {
  const results = document.getElementById("try-results"), error = document.getElementById("try-error");
  error.hidden = true;
  if (!files.length) return;
  const form = new FormData();
  for (const f of files) form.append("image", f, f.name);
  const r = await fetch(`/api/v1/jobs/${id}/predict?top=5`, { method: "POST", body: form, headers: authHeaders() });
  if (!r.ok) {
    error.textContent = await problemText(r);
    error.hidden = false;
    return;
  }
  const answer = await r.json();
  results.replaceChildren(...answer.predictions.map(p => {
    const li = document.createElement("li");
    li.className = "prediction";
    const name = document.createElement("strong");
    name.textContent = p.image;
    const list = document.createElement("ul");
    for (const c of p.top) {
      const item = document.createElement("li");
      item.textContent = `${c.name}: ${(100 * c.probability).toFixed(1)} %`;
      list.append(item);
    }
    li.append(name, list);
    return li;
  }));
}
document.getElementById("try-input").addEventListener("change", e => tryImages([...e.target.files]));
const drop = document.getElementById("try-drop");
drop.addEventListener("dragover", e => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", e => {
  e.preventDefault();
  drop.classList.remove("over");
  tryImages([...e.dataTransfer.files].filter(f => f.type.startsWith("image/")));
});

drawTraining();
drawFitness();
drawPareto();
refreshJob().then(refreshCandidates).then(listen).catch(e => {
  document.getElementById("error").hidden = false;
  document.getElementById("error").textContent = "job " + id + ": " + e.message;
});
