// sumchain dashboard: one page, no framework, no build step. Every datum comes from the JSON API.
"use strict";

const state = { chain: null, account: 0, wallet: null, model: null, run: null };
const WALLET = "wallet";

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

async function api(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  let data = null;
  try { data = await response.json(); } catch (_) { data = null; }
  if (!response.ok) {
    const message = data && typeof data.error === "string" ? data.error : `HTTP ${response.status}`;
    throw Object.assign(new Error(message), { status: response.status, data });
  }
  return data;
}

// An error replaces the last notice: "Staked ..." beside "Ending participation failed" read as both done.
function showError(message) {
  const box = document.getElementById("error");
  box.textContent = message;
  box.hidden = !message;
  if (message) notify("");
}

function notify(message) {
  document.getElementById("notice").textContent = message;
}

function utc(seconds) {
  return new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

function short(address) {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

function table(caption, headers, rows, emptyText) {
  if (!rows.length) return el("p", { class: "muted", text: emptyText });
  return el("div", { class: "table-wrap" },
    el("table", {},
      el("caption", { class: "skip", text: caption }),
      el("thead", {}, el("tr", {}, headers.map(([text, cls]) => el("th", { scope: "col", class: cls, text })))),
      el("tbody", {}, rows)));
}

async function loadChain() {
  const chain = await api("GET", "/api/chain");
  state.chain = chain;
  document.getElementById("chain").textContent =
    `Chain ${chain.chain_id} · block ${chain.block} · ${utc(chain.time)}` + (chain.is_dev ? " · dev chain" : "");
  const select = document.getElementById("account");
  const saved = localStorage.getItem("sumchain.account");
  const chosen = select.value !== "" ? select.value : saved === null ? "0" : saved;
  const options = chain.accounts.map((a) =>
    el("option", { value: String(a.index), text: `#${a.index} ${short(a.address)} (${a.balance.text})` }));
  if (window.ethereum) options.push(el("option", { value: WALLET, text: state.wallet ? `Browser wallet ${short(state.wallet)}` : "Browser wallet" }));
  if (!options.length) options.push(el("option", { value: "", text: "no signing account" }));
  select.replaceChildren(...options);
  select.disabled = options.length === 1 && select.firstChild.value === "";
  const values = options.map((o) => o.value);
  const value = values.includes(chosen) ? chosen : values[0];
  select.value = value;
  state.account = value === WALLET ? WALLET : Number(value);
  if (state.account === WALLET && !state.wallet) await connectWallet();
}

function walletError(error) {
  if (error && error.code === 4001) return "the wallet refused the request";
  return (error && error.message) || String(error);
}

async function connectWallet() {
  try {
    const accounts = await window.ethereum.request({ method: "eth_requestAccounts" });
    if (!accounts || !accounts.length) throw new Error("the wallet gave no account");
    state.wallet = accounts[0];
  } catch (error) {
    throw new Error(`Connecting the wallet failed: ${walletError(error)}`);
  }
}

function viewer() {
  return state.account === WALLET ? state.wallet : state.account;
}

function canSign() {
  return state.chain.accounts.length > 0 || Boolean(window.ethereum);
}

async function receiptOf(hash) {
  for (let i = 0; i < 600; i++) {
    const receipt = await window.ethereum.request({ method: "eth_getTransactionReceipt", params: [hash] });
    if (receipt) return receipt;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`transaction ${hash} not mined after 5 minutes`);
}

// Do `action` (add, refund, report) as the chosen account: a dev account through the API, or the
// browser wallet with a transaction the API built. Returns the notice to show.
async function act(action, payload, id) {
  const base = `/api/models/${state.model.address}`;
  if (state.account !== WALLET) {
    const body = { ...payload, account: state.account };
    if (action === "add") {
      const added = await api("POST", `${base}/contributions`, body);
      return `Added contribution #${added.id}; deposit ${added.deposit.text}.`;
    }
    const done = await api("POST", `${base}/contributions/${id}/${action}`, body);
    return `${action === "refund" ? "Refunded" : "Took"} ${done.amount.text} for contribution #${id}.`;
  }
  const tx = await api("POST", `${base}/unsigned`, { ...payload, action, id, from: state.wallet });
  return minedNotice(action, await sendFromWallet(tx));
}

function minedNotice(action, receipt) {
  return `Wallet: ${action} mined in block ${Number(receipt.blockNumber)} (transaction ${receipt.transactionHash.slice(0, 10)}…).`;
}

// Have the browser wallet send `tx` (as the API built it) and wait until it is mined;
// `onSent(hash)` learns the hash first. A transaction that failed on chain is an error, and so
// is a wallet on another network than the dashboard's chain: nothing is sent there.
async function sendFromWallet(tx, onSent) {
  const sent = { from: tx.from, data: tx.data, value: tx.value, gas: tx.gas, chainId: tx.chainId };
  if (tx.to) sent.to = tx.to; // none for a creation
  let hash;
  try {
    const network = await window.ethereum.request({ method: "eth_chainId" });
    if (BigInt(network) !== BigInt(tx.chainId)) {
      throw new Error(`the wallet is on chain ${BigInt(network)}, the dashboard on chain ${BigInt(tx.chainId)}: ` +
        "switch the wallet's network, then try again; nothing was sent");
    }
    hash = await window.ethereum.request({ method: "eth_sendTransaction", params: [sent] });
  } catch (error) {
    throw new Error(walletError(error));
  }
  if (onSent) onSent(hash);
  return minedReceipt(hash);
}

async function minedReceipt(hash) {
  const receipt = await receiptOf(hash);
  if (receipt.status !== "0x1") {  // the chain refused it as it stood when mined: as the API's 409
    const error = new Error(`transaction ${hash} failed on chain (block ${Number(receipt.blockNumber)})`);
    throw Object.assign(error, { status: 409 });
  }
  return receipt;
}

// -- the model list ------------------------------------------------------------------

// The test score the model's owner published in the registry: a claim the page shows as one.
function scoreCell(score) {
  if (!score) return el("td", { class: "muted", text: "not published" });
  return el("td", { title: `test set ${score.test_set}` },
    `${(score.accuracy * 100).toFixed(1)}% (${score.correct}/${score.total})`,
    el("div", { class: "muted", text: `owner's test, block ${score.published_at}` }));
}

async function renderList(main) {
  const { models } = await api("GET", "/api/models");
  const rows = models.map((m) => el("tr", {},
    el("td", {}, m.problem ? m.name : el("a", { href: `/models/${m.address}`, text: m.name }),
      m.description ? el("div", { class: "muted", text: m.description }) : null),
    el("td", { text: m.problem ? `unusable: ${m.problem}` : m.model_type }),
    el("td", { class: "hide-narrow", text: m.mechanism || "" }),
    scoreCell(m.score),
    el("td", { text: m.contributions === null ? "" : m.contributions }),
    el("td", { class: "mono hide-narrow", text: short(m.address) })));
  main.replaceChildren(
    el("h1", { text: "Models" }),
    el("p", { class: "muted", text: "Listed in the chain's registry. Predictions are free; contributions pay a deposit." }),
    table("Models in the registry",
      [["Name"], ["Model"], ["Mechanism", "hide-narrow"], ["Accuracy"], ["Contributions"], ["Address", "hide-narrow"]],
      rows, "No model is listed in this chain's registry yet."));
}

// -- a model's page ----------------------------------------------------------------------

function sampleField(model, id) {
  if (model.input === "text") {
    return el("label", {}, "Text", el("textarea", { id, name: "text", required: true, placeholder: "a wonderful, brilliant movie" }));
  }
  if (model.input === "image") {
    return el("label", {}, "Image", el("input", { id, name: "image", type: "file", required: true, accept: "image/*" }));
  }
  const hint = model.feature_kind === "indices" ? "Feature indices, comma-separated" : "Feature values, comma-separated";
  return el("label", {}, hint, el("input", { id, name: "features", required: true, autocomplete: "off", placeholder: "e.g. 0,3" }));
}

function base64Of(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(new Error(`cannot read ${file.name}`));
    reader.readAsDataURL(file);
  });
}

async function sampleOf(model, form) {
  const field = form.querySelector("[name=text], [name=features], [name=image]");
  if (model.input === "image") {
    if (!field.files.length) throw new Error("choose an image file");
    return { image: await base64Of(field.files[0]) };
  }
  return model.input === "text" ? { text: field.value } : { features: field.value };
}

function busy(form, running) {
  for (const button of form.querySelectorAll("button")) button.disabled = running;
}

// Run `work` when the form is submitted: the error box cleared, the buttons disabled meanwhile,
// and a failure shown as "<what> failed: <message>".
function onSubmit(form, what, work) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError("");
    busy(form, true);
    try {
      await work();
    } catch (error) {
      showError(`${what} failed: ${error.message}`);
      await refreshAfterConflict(error);
    } finally {
      busy(form, false);
    }
  });
}

// A 409 is the chain refusing in its current state: another tab, user or process acted first (a
// refund already made, a deposit that rose, a market pushed on). What a model's page shows is then
// stale: it is read again, the error staying on screen.
async function refreshAfterConflict(error) {
  if (error.status !== 409 || !state.model) return;
  try {
    await loadChain();
    await refreshModel();
  } catch (_) {
    // the error shown is the one that matters
  }
}

function predictForm(model) {
  const output = el("output", { id: "prediction", for: "predict-input", "aria-live": "polite" });
  const form = el("form", { id: "predict-form", "aria-labelledby": "predict-title" },
    el("h2", { id: "predict-title", text: "Predict (free)" }),
    sampleField(model, "predict-input"),
    el("button", { type: "submit", text: "Predict" }),
    output);
  onSubmit(form, "Prediction", async () => {
    output.textContent = "";
    const answer = await api("POST", `/api/models/${model.address}/predict`, await sampleOf(model, form));
    output.textContent = `Prediction: ${answer.class_name} (class ${answer.label})`;
  });
  return form;
}

function depositLater(mechanism) {
  return el("ul", { id: "deposit-later", class: "muted", "aria-label": "Deposit later, if no one contributes first" },
    mechanism.deposit_later.map((d) => el("li", { text: `${d.when}: ${d.deposit.text}` })));
}

function labelField(model, id) {
  const classes = model.class_names.map((name, k) => el("option", { value: k, text: `${name} (${k})` }));
  return el("label", {}, "Label", el("select", { id, name: "label" }, classes));
}

// A labelled sample as the API takes it, from a form with sampleField and labelField.
async function labelledSample(model, form) {
  return { ...(await sampleOf(model, form)), label: Number(form.querySelector("[name=label]").value) };
}

function addForm(model) {
  const form = el("form", { id: "add-form", "aria-labelledby": "add-title" },
    el("h2", { id: "add-title", text: "Add data" }),
    sampleField(model, "add-input"),
    labelField(model, "add-label"),
    depositNow(model.mechanism),
    depositLater(model.mechanism),
    el("button", { type: "submit", text: "Add with deposit", disabled: !canSign() }));
  onSubmit(form, "Adding", async () => {
    // at most the deposit shown: one that rose past it since (another contribution came first) is a
    // 409 with nothing sent, and the page shows the new one to agree to
    const shown = document.getElementById("deposit-now").dataset.wei;
    notify(await act("add", { ...(await labelledSample(model, form)), max_deposit: `${shown}wei` }));
    form.querySelector("[name=text], [name=features], [name=image]").value = "";
    await loadChain();
    await refreshModel();
  });
  return form;
}

function depositNow(mechanism) {
  return el("p", { id: "deposit-now", "data-wei": mechanism.deposit_now.wei, text: `Deposit now: ${mechanism.deposit_now.text}` });
}

function stepCell(contribution, step, action) {
  if (step.allowed) {
    const label = `${action === "refund" ? "Refund" : "Report"} #${contribution.id}`;
    return el("td", {}, el("button", {
      type: "button", class: "secondary", "data-action": action, "data-id": contribution.id,
      text: label, onclick: (event) => claim(event.target, action, contribution.id),
    }), step.why ? el("div", { class: "muted", text: step.why }) : null);
  }
  const when = step.opens_in > 0 ? ` (opens ${step.opens_in_text})` : "";
  return el("td", { class: "muted", text: step.why + when });
}

async function claim(button, action, id) {
  showError("");
  button.disabled = true;
  try {
    notify(await act(action, {}, id));
    await loadChain();
    await refreshModel();
  } catch (error) {
    showError(`${action === "refund" ? "Refund" : "Report"} failed: ${error.message}`);
    button.disabled = false;
    await refreshAfterConflict(error);
  }
}

function sampleText(contribution) {
  const data = contribution.data;
  return data.slice(0, 4).join(",") + (data.length > 4 ? "…" : "");
}

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

// Bars of contributions per day (UTC), drawn from the API's counts; the numbers are in each bar's title.
function perDayChart(days) {
  if (!days.length) return el("p", { class: "muted", text: "No contributions yet." });
  const height = 160, top = Math.max(...days.map((d) => d.contributions));
  const step = Math.min(600 / days.length, 48), width = step * days.length;
  const label = days.map((d) => `${d.day}: ${d.contributions}`).join(", ");
  return svg("svg", { id: "per-day", viewBox: `0 0 ${width} ${height + 20}`, width, height: height + 20, role: "img", "aria-label": `Contributions per day: ${label}`, class: "chart" },
    ...days.map((d, i) => {
      const h = Math.max(2, (d.contributions / top) * height);
      return svg("g", {},
        svg("rect", { x: i * step + 4, y: height - h, width: Math.max(step - 8, 2), height: h, fill: "#0b5cad" },
          svg("title", {}, `${d.day}: ${d.contributions}`)),
        svg("text", { x: i * step + step / 2, y: height + 15, "text-anchor": "middle", "font-size": 11 }, d.day.slice(5)));
    }));
}

function contributionTables(model, views) {
  const mine = views.mine.map((c) => el("tr", {},
    el("td", { text: `#${c.id}` }),
    el("td", { class: "hide-narrow", text: utc(c.added_time) }),
    el("td", { text: c.class_name }),
    el("td", { class: "mono hide-narrow", text: sampleText(c) }),
    el("td", { text: c.claimable.text }),
    el("td", { text: c.status }),
    stepCell(c, c.refund, "refund")));
  const others = views.report_candidates.map((c) => el("tr", {},
    el("td", { text: `#${c.id}` }),
    el("td", { class: "mono", text: short(c.author) }),
    el("td", { text: c.class_name }),
    el("td", { text: c.predicted_name }),
    el("td", { text: c.claimable.text }),
    stepCell(c, c.report, "report")));
  return [
    el("h2", { id: "mine-title", text: "My contributions" }),
    table("My contributions", [["#"], ["Added", "hide-narrow"], ["Label"], ["Sample", "hide-narrow"], ["Held"], ["State"], ["Refund"]],
      mine, "No contributions of this account yet."),
    el("h2", { id: "candidates-title", text: "Others' data the model now rejects" }),
    table("Report candidates", [["#"], ["Author"], ["Label"], ["Model says"], ["Held"], ["Report"]],
      others, "None: the model agrees with every other contribution that still holds a deposit."),
    el("h2", { id: "leaderboard-title", text: "Leaderboard" }),
    table("Leaderboard", [["Account"], ["Score"], ["Added", "hide-narrow"], ["Validated"], ["Reported", "hide-narrow"], ["Reports"]],
      views.leaderboard.map((r) => el("tr", {},
        el("td", { class: "mono", text: short(r.account) }),
        el("td", { text: r.score_text }),
        el("td", { class: "hide-narrow", text: r.contributions }),
        el("td", { text: r.validated }),
        el("td", { class: "hide-narrow", text: r.reported }),
        el("td", { text: r.reports }))),
      "No contributions yet."),
    el("h2", { id: "chart-title", text: "Contributions per day" }),
    perDayChart(views.per_day),
  ];
}

// The chosen dev account's number, for the steps the browser wallet does not take (`what`, in the error).
function devAccount(what) {
  if (state.account === WALLET) throw new Error(`${what} takes a dev account (choose one above)`);
  return state.account;
}

// The owner publishes the model's score on a test set: the server predicts each sample with the
// model on chain, and the registry keeps the count, the block and the test set's hash.
function scoreForm(model) {
  const form = el("form", { id: "score-form", "aria-labelledby": "score-title" },
    el("h2", { id: "score-title", text: "Publish a test score (owner only)" }),
    field('Test set (JSON: a list of {"text" or "sample", "label"})',
      el("input", { id: "score-file", type: "file", accept: ".json,application/json" })),
    el("button", { type: "submit", class: "secondary", text: "Publish score" }));
  onSubmit(form, "Publishing the score", async () => {
    const account = devAccount("publishing a score");
    const file = form.querySelector("#score-file").files[0];
    if (!file) throw new Error("choose a test-set file");
    let testSet;
    try {
      testSet = JSON.parse(await file.text());
    } catch (_) {
      throw new Error(`${file.name} is not JSON`);
    }
    const score = await api("POST", `/api/models/${model.address}/score`, { account, test_set: testSet });
    notify(`Published: accuracy ${(score.accuracy * 100).toFixed(1)}% (${score.correct}/${score.total}) in block ${score.published_at}.`);
    await loadChain();
  });
  return form;
}

function timeForm() {
  const form = el("form", { id: "time-form", "aria-labelledby": "time-title" },
    el("h2", { id: "time-title", text: "Dev chain clock" }),
    el("label", {}, "Advance time by",
      el("select", { id: "advance-by" },
        el("option", { value: 3600, text: "1 hour" }),
        el("option", { value: 86400, text: "1 day", selected: true }),
        el("option", { value: 864000, text: "10 days" }))),
    el("button", { type: "submit", class: "secondary", text: "Advance time" }));
  onSubmit(form, "Advancing time", async () => {
    await api("POST", "/api/chain/advance", { seconds: Number(form.querySelector("#advance-by").value) });
    notify("Chain time advanced.");
    await loadChain();
    await refreshModel();
  });
  return form;
}

async function refreshModel() {
  const model = state.model;
  if (model.mechanism.kind === "market") return refreshMarket();
  const [info, views] = await Promise.all([
    api("GET", `/api/models/${model.address}`),
    api("GET", `/api/models/${model.address}/contributions?account=${viewer()}`),
  ]);
  document.getElementById("summary").textContent = info.mechanism.summary;
  const wasUnfinished = document.getElementById("unfinished"), stillUnfinished = unfinished(info);
  if (wasUnfinished) wasUnfinished.replaceWith(stillUnfinished || "");
  document.getElementById("deposit-now").replaceWith(depositNow(info.mechanism));
  document.getElementById("deposit-later").replaceWith(depositLater(info.mechanism));
  document.getElementById("contributions").replaceChildren(...contributionTables(info, views));
}

// Replace `main`'s content with `parts` (lists flattened; null, for what this page lacks, left out).
function fill(main, ...parts) {
  main.replaceChildren(...parts.flat().filter((part) => part !== null && part !== undefined));
}

// The top of a model's page (a market's too): its name, description, facts and the mechanism's summary;
// `mechanism` is the mechanism's line, `ownerTerm` what the owner is called there.
function modelHeading(model, mechanism, ownerTerm) {
  return [
    el("p", {}, el("a", { href: "/", text: "← All models" })),
    el("h1", { text: model.name }),
    model.description ? el("p", { text: model.description }) : null,
    el("dl", { class: "facts" },
      el("dt", { text: "Model" }), el("dd", { text: `${model.model_type}, ${model.n_features} feature ${model.feature_kind}` }),
      el("dt", { text: "Classes" }), el("dd", { text: model.class_names.join(", ") }),
      el("dt", { text: "Mechanism" }), el("dd", { text: mechanism }),
      el("dt", { text: ownerTerm }), el("dd", { class: "mono", text: model.owner }),
      el("dt", { text: "Address" }), el("dd", { class: "mono", text: model.address })),
    el("p", { id: "summary", class: "muted", text: model.mechanism.summary }),
  ];
}

// A model whose upload stopped half-way takes nothing until its owner finishes it: said first (else null).
function unfinished(model) {
  return model.unfinished ? el("p", { id: "unfinished", class: "error", text: model.unfinished }) : null;
}

async function renderModel(main, address) {
  const model = await api("GET", `/api/models/${encodeURIComponent(address)}`);
  state.model = model;
  document.title = `${model.name} · sumchain`;
  if (model.mechanism.kind === "market") return renderMarket(main, model);
  const views = await api("GET", `/api/models/${model.address}/contributions?account=${viewer()}`);
  const waits = model.mechanism.waits.map((w) => `${w.what} after ${w.text}`).join("; ");
  fill(main,
    modelHeading(model, `${model.mechanism.name}: ${waits}`, "Owner"),
    unfinished(model),
    el("div", { class: "grid" }, predictForm(model), addForm(model)),
    el("section", { id: "contributions", "aria-live": "polite" }, contributionTables(model, views)),
    state.chain.accounts.length ? scoreForm(model) : null,
    state.chain.is_dev ? timeForm() : null);
}

// -- a prediction market's page ----------------------------------------------------------------
// The market's phases decide what may be done; the page shows them and lets the contract refuse.

function marketPath(model, rest = "") {
  return `/api/models/${model.address}/market${rest}`;
}

function when(seconds, countdown) {
  return `${utc(seconds)}${countdown ? ` (${countdown})` : ""}`;
}

function marketFacts(market) {
  const f = market.figures, p = f.parameters;
  const pieces = market.first_piece_size === null
    ? `${f.num_revealed} of ${f.num_pieces} revealed`
    : `${f.num_revealed} of ${f.num_pieces} revealed; the first (piece ${f.first_piece}) has ${market.first_piece_size} samples`;
  let opened = "not open yet";
  if (market.participation_ended !== null) opened = `opened ${utc(f.opened_at)}; ended ${utc(market.participation_ended)}`;
  else if (market.participation_closes !== null) {
    opened = `opened ${utc(f.opened_at)}; may end from ${when(market.participation_closes, market.participation_closes_in)} `
      + `with at least ${p.min_contributions} contribution${p.min_contributions === 1 ? "" : "s"}`;
  }
  const fact = (id, term, ...value) => [el("dt", { text: term }), el("dd", { id }, ...value)];
  return el("dl", { class: "facts" },
    fact("market-phase", "Phase", el("strong", { text: market.phase }), el("div", { id: "phase-line", text: market.phase_line })),
    fact("market-bounty", "Bounty", `${market.bounty.text} (${market.bounty_left.text} left)`),
    fact("market-stake", "Stake per sample", market.stake.text),
    fact("market-pieces", "Test set pieces", pieces),
    fact("market-count", "Contributions", String(f.num_contributions)),
    fact("market-participation", "Participation", opened),
    fact("market-deadline", "Reveal deadline", market.reveal_deadline === null ? "set when participation ends" : utc(market.reveal_deadline)),
    fact("market-evaluation", "Evaluation",
      el("progress", { id: "evaluation-progress", max: Math.max(f.num_contributions, 1), value: f.applied, "aria-label": "Contributions evaluated" }),
      ` ${f.applied} of ${f.num_contributions} contributions applied`),
    fact("market-owed", "Owed to this account", market.owed.text));
}

function marketTables(model, market) {
  return [
    el("h2", { id: "stakes-title", text: "Contributions and scores" }),
    table("Contributions and scores", [["#"], ["Contributor"], ["Label"], ["Sample", "hide-narrow"], ["Score (test samples)"]],
      market.contributions.map((c) => el("tr", {},
        el("td", { text: c.index }),
        el("td", { class: "mono", text: short(c.contributor) }),
        el("td", { text: c.class_name }),
        el("td", { class: "mono hide-narrow", text: sampleText(c) }),
        el("td", { text: c.score === null ? "not scored yet" : (c.score > 0 ? `+${c.score}` : String(c.score)) }))),
      "No stakes yet."),
    el("h2", { id: "owed-title", text: "Owed" }),
    el("p", { class: "muted", text: "Credited by the settlement: each contributor's stake with its reward (or less its loss), and the provider's bounty left." }),
    table("Owed", [["Account"], ["Role"], ["Owed"]],
      market.accounts.map((a) => el("tr", {},
        el("td", { class: "mono", text: short(a.account) }),
        el("td", { text: a.provider ? "provider" : "contributor" }),
        el("td", { text: a.owed.text, "data-wei": a.owed.wei }))),
      "No one yet."),
  ];
}

// Have the browser wallet send the market's transaction for `action` (stake, push, end, withdraw), as
// the API builds it from where the chain stands (for push: the next evaluate, apply_next, settle, forfeit or abandon).
// The API refuses a call that would revert, with the contract's reason, before the wallet is asked.
async function marketByWallet(model, action, payload = {}) {
  const tx = await api("POST", marketPath(model, "/unsigned"), { ...payload, action, from: state.wallet });
  return { tx, receipt: await sendFromWallet(tx) };
}

// The browser wallet's personal_sign of a text (what the server asks the provider to sign).
async function signByWallet(text) {
  const hex = "0x" + Array.from(new TextEncoder().encode(text), (b) => b.toString(16).padStart(2, "0")).join("");
  try {
    return await window.ethereum.request({ method: "personal_sign", params: [hex, state.wallet] });
  } catch (error) {
    throw new Error(walletError(error));
  }
}

function stakeForm(model, market) {
  const form = el("form", { id: "stake-form", "aria-labelledby": "stake-title" },
    el("h2", { id: "stake-title", text: "Stake a sample" }),
    sampleField(model, "stake-input"),
    labelField(model, "stake-label"),
    el("p", { id: "stake-now", text: `Stake: ${market.stake.text}, while participation is open` }),
    el("button", { type: "submit", text: "Stake", disabled: !canSign() }));
  onSubmit(form, "Staking", async () => {
    const sample = await labelledSample(model, form);
    if (state.account === WALLET) {
      const { tx, receipt } = await marketByWallet(model, "stake", sample);
      notify(minedNotice(tx.action, receipt));
    } else {
      const staked = await api("POST", marketPath(model, "/contributions"), { ...sample, account: state.account });
      notify(`Staked ${staked.stake.text} on contribution #${staked.index}.`);
    }
    form.querySelector("[name=text], [name=features], [name=image]").value = "";
    await loadChain();
    await refreshMarket();
  });
  return form;
}

// A market action of one transaction: by the browser wallet, or by a dev account through `path`
// (whose answer `said` turns into the notice).
function marketActionForm(model, { id, title, note, button, busy, action, path, said }) {
  const form = el("form", { id: `${id}-form`, "aria-labelledby": `${id}-title` },
    el("h2", { id: `${id}-title`, text: title }),
    el("p", { class: "muted", text: note }),
    el("button", { type: "submit", class: "secondary", text: button, disabled: !canSign() }));
  onSubmit(form, busy, async () => {
    if (state.account === WALLET) {
      const { tx, receipt } = await marketByWallet(model, action);
      notify(minedNotice(tx.action, receipt));
    } else {
      notify(said(await api("POST", marketPath(model, path), { account: state.account })));
    }
    await loadChain();
    await refreshMarket();
  });
  return form;
}

// Anyone may end participation once it lasted its minimum time with enough contributions (or with
// fewer, once it also lasted the claim wait).
function endForm(model) {
  return marketActionForm(model, {
    id: "end", title: "End participation (anyone)", button: "End participation", busy: "Ending participation",
    note: "Once participation lasted its minimum time with enough contributions (with fewer, once it also lasted the claim wait); the provider then reveals the rest of the test set.",
    action: "end", path: "/end", said: (done) => `Participation ended; phase ${done.phase}.`,
  });
}

const PUSHED = ["evaluate", "reward", "forfeited", "abandoned"];

// Anyone may push the evaluation and then the settlement: batch after batch (a dev account), or one
// transaction after another (the browser wallet), the progress shown.
function pushForm(model) {
  const form = el("form", { id: "push-form", "aria-labelledby": "push-title" },
    el("h2", { id: "push-title", text: "Evaluation and settlement (anyone)" }),
    el("p", { class: "muted", text: "Each transaction counts a piece of the test set or learns the next contribution; the settlement then credits everyone. Once the provider missed its reveal deadline, the first gives the bounty to the contributors; once an evaluation whose steps are refused has not moved for the claim wait, the first gives it up (as a forfeit)." }),
    el("button", { type: "submit", class: "secondary", text: "Push evaluation and settlement", disabled: !canSign() }));
  onSubmit(form, "Pushing the market", async () => {
    if (state.account === WALLET) {
      let sent = 0, market;
      do {
        const { tx } = await marketByWallet(model, "push");
        sent += 1;
        market = await refreshMarket();
        notify(`Wallet: sent ${sent} transaction${sent === 1 ? "" : "s"} (the last: ${tx.action}): `
          + `${market.figures.applied} of ${market.figures.num_contributions} contributions applied; phase ${market.phase}.`);
      } while (PUSHED.includes(market.phase));
      await loadChain();
      return;
    }
    let sent = 0, step;
    do {
      step = await api("POST", marketPath(model, "/push"), { account: state.account });
      sent += step.sent;
      notify(`Sent ${sent} transactions: ${step.applied} of ${step.num_contributions} contributions applied; phase ${step.phase}.`);
      await refreshMarket();
    } while (step.more && step.sent > 0);
    await loadChain();
  });
  return form;
}

function withdrawForm(model) {
  return marketActionForm(model, {
    id: "withdraw", title: "Withdraw", button: "Withdraw", busy: "Withdrawing",
    note: "Once the market is done: what this account is owed.",
    action: "withdraw", path: "/withdraw", said: (done) => `Withdrew ${done.amount.text}.`,
  });
}

// The provider's steps by phase: what its button says and what the page tells it.
const PROVIDER_STEPS = {
  commit: { button: "Commit and seal", busy: "Committing the test set",
    note: "Split the hidden test set into pieces, commit their hashes and seal. The dashboard keeps the pieces with their salts in its workspace until you reveal them: use a dashboard you run yourself." },
  sealed: { button: "Draw and reveal the first piece", busy: "Revealing the first piece",
    note: "Draw the piece revealed first, and reveal it: participation opens." },
  drawn: { button: "Reveal the drawn piece", busy: "Revealing the first piece",
    note: "Reveal the drawn piece: participation opens." },
  reveal: { button: "Reveal the rest", busy: "Revealing the test set",
    note: "Reveal every other piece before the deadline; anyone may then push the evaluation." },
};
const PROVIDER_STAGE = { commit: ["commit"], sealed: ["sealed", "drawn"], drawn: ["sealed", "drawn"], reveal: ["reveal"] };

// The provider's form: shown to the provider in a phase with a step of its own; a dev account's steps
// of the stage are sent by the server at once, the browser wallet's one transaction after another.
function providerForm(model, market) {
  const step = market.viewer === model.owner ? PROVIDER_STEPS[market.phase] : undefined;
  if (!step || (market.phase === "reveal" && market.reveal_deadline <= market.now)) return null;
  const committing = market.phase === "commit";
  const form = el("form", { id: "provider-form", "aria-labelledby": "provider-title" },
    el("h2", { id: "provider-title", text: "Hidden test set (provider)" }),
    el("p", { class: "muted", text: step.note }),
    committing ? field("Test set (JSON: a list of {\"text\" or \"sample\", \"label\"})",
      el("input", { id: "test-set-file", type: "file", accept: ".json,application/json" })) : null,
    committing ? field("Pieces (empty: the fewest)", el("input", { id: "test-set-pieces", type: "number", min: "2", inputmode: "numeric" })) : null,
    el("button", { type: "submit", text: step.button, disabled: !canSign() }));
  onSubmit(form, step.busy, async () => {
    const payload = {};
    if (committing) {
      const file = form.querySelector("#test-set-file").files[0];
      if (file) {
        try { payload.test_set = JSON.parse(await file.text()); } catch (_) { throw new Error(`${file.name} is not JSON`); }
      }
      const pieces = form.querySelector("#test-set-pieces").value;
      if (pieces !== "") payload.pieces = Number(pieces);
    }
    const stage = PROVIDER_STAGE[market.phase];
    if (state.account === WALLET) {
      // a new test set is kept only with the provider's signature: asked when the server asks for it
      const provide = async (body) => {
        try {
          return await marketByWallet(model, "provide", body);
        } catch (error) {
          if (error.status !== 401 || !error.data || !error.data.sign) throw error;
          return marketByWallet(model, "provide", { ...body, signature: await signByWallet(error.data.sign) });
        }
      };
      const done = [];
      let now = market;
      do {
        // the test set goes with every commit step: the server builds each from the chain and the file it names
        const { tx } = await provide(now.phase === "commit" ? payload : {});
        done.push(tx.action);
        now = await refreshMarket();
        notify(`Wallet: sent ${done.length} transaction${done.length === 1 ? "" : "s"} (${done.join(", ")}); phase ${now.phase}.`);
      } while (stage.includes(now.phase));
    } else {
      const done = await api("POST", marketPath(model, "/provide"), { ...payload, account: state.account });
      notify(`Sent ${done.sent.join(", ")}; phase ${done.phase}.`);
      await refreshMarket();
    }
    await loadChain();
  });
  return form;
}

// Before participation opens the provider may cancel: the bounty is owed back (as when it lost its salts).
function cancelForm(model, market) {
  if (market.viewer !== model.owner || !market.may_cancel) return null;
  return marketActionForm(model, {
    id: "cancel", title: "Cancel the market (provider)", button: "Cancel the market", busy: "Cancelling the market",
    note: "Before participation opens nobody has staked: the bounty is owed back to you, to withdraw (once drawn, only after the reveal window without the drawn piece's reveal).",
    action: "cancel", path: "/cancel", said: (done) => `Cancelled: ${done.owed.text} owed to the provider; phase ${done.phase}.`,
  });
}

// The provider's forms again when the phase, who looks, or the reveal deadline's passing changed; kept otherwise.
function showProvider(model, market) {
  const holder = document.getElementById("provider");
  const key = `${market.phase} ${market.viewer} ${market.may_cancel} ${market.reveal_deadline !== null && market.reveal_deadline <= market.now}`;
  if (holder.dataset.key === key) return;
  holder.dataset.key = key;
  const forms = [providerForm(model, market), cancelForm(model, market)].filter(Boolean);
  holder.replaceChildren(...forms);
  holder.hidden = !forms.length;
}

async function refreshMarket() {
  const model = state.model;
  const market = await api("GET", marketPath(model, `?account=${viewer()}`));
  document.getElementById("market").replaceChildren(marketFacts(market));
  document.getElementById("market-tables").replaceChildren(...marketTables(model, market));
  showProvider(model, market);
  return market;
}

async function renderMarket(main, model) {
  const market = await api("GET", marketPath(model, `?account=${viewer()}`));
  fill(main,
    modelHeading(model, model.mechanism.name, "Provider"),
    el("h2", { id: "market-title", text: "Where the market stands" }),
    el("section", { id: "market", "aria-labelledby": "market-title", "aria-live": "polite" }, marketFacts(market)),
    el("div", { id: "provider", class: "grid", hidden: true }),
    el("div", { class: "grid" }, predictForm(model), stakeForm(model, market), endForm(model), pushForm(model), withdrawForm(model)),
    el("section", { id: "market-tables" }, marketTables(model, market)),
    state.chain.is_dev ? timeForm() : null);
  showProvider(model, market);
}

// -- the deploy page ----------------------------------------------------------------------

const DEPLOYMENT = "sumchain.deployment";

function field(label, input) {
  return el("label", {}, label, input);
}

function deployForm() {
  const form = el("form", { id: "deploy-form", "aria-labelledby": "deploy-title" },
    el("h2", { id: "deploy-title", text: "Model" }),
    el("fieldset", {},
      el("legend", { text: "What to deploy" }),
      el("label", { class: "choice" }, el("input", { type: "radio", name: "source", value: "builtin", checked: true }),
        " The built-in sample: movie sentiment over the IMDB vocabulary"),
      el("label", { class: "choice" }, el("input", { type: "radio", name: "source", value: "file" }),
        " A model file in the reference JSON format")),
    field("Model file (JSON)", el("input", { id: "model-file", type: "file", accept: ".json,application/json" })),
    field("Name", el("input", { id: "deploy-name", autocomplete: "off", placeholder: "the file's, or the built-in one's" })),
    field("Description", el("textarea", { id: "deploy-description" })),
    el("h2", { text: "Incentive mechanism" }),
    field("Mechanism", el("select", { id: "deploy-mechanism", onchange: (event) => showMechanismFields(form, event.target.value) },
      el("option", { value: "deposit_refund_take", text: "Deposit, Refund and Take", selected: true }),
      el("option", { value: "points", text: "Points (no money; refund wait only)" }),
      el("option", { value: "prediction_market", text: "Prediction market (a bounty on a hidden test set)" }))),
    el("div", { id: "claims-fields", class: "fields" },
      field("Deposit scale (cost weight)", el("input", { id: "cost-weight", value: "0.001ether" })),
      field("Refund wait", el("input", { id: "refund-wait", value: "1d" })),
      field("Owner may take what is left after", el("input", { id: "owner-claim-wait", value: "9d" })),
      field("Anyone may take what is left after", el("input", { id: "any-claim-wait", value: "9d" }))),
    el("div", { id: "market-fields", class: "fields", hidden: true },
      el("p", { class: "muted", text: "You are the provider: you fund the bounty now, then commit your hidden test set on the market's page." }),
      field("Bounty", el("input", { id: "market-bounty-input", value: "0.1ether" })),
      field("Stake per sample", el("input", { id: "market-stake-input", value: "0.001ether" })),
      field("Participation lasts at least", el("input", { id: "market-min-duration", value: "1d" })),
      field("Contributions needed before it may end", el("input", { id: "market-min-contributions", type: "number", min: "1", value: "1" })),
      field("Time to reveal the rest once it ends", el("input", { id: "market-reveal-window", value: "1d" })),
      field("Provider may sweep what is left after", el("input", { id: "market-claim-wait", value: "366d" }))),
    el("button", { type: "submit", text: "Deploy" }));
  onSubmit(form, "Deploying", async () => {
    const source = form.querySelector("input[name=source]:checked").value;
    const body = {
      source,
      name: form.querySelector("#deploy-name").value,
      description: form.querySelector("#deploy-description").value || undefined,
      mechanism: form.querySelector("#deploy-mechanism").value,
    };
    const given = (fields) => {
      for (const [key, id] of Object.entries(fields)) body[key] = form.querySelector(id).value || undefined;
    };
    if (body.mechanism === "prediction_market") {
      given({ bounty: "#market-bounty-input", stake: "#market-stake-input", min_duration: "#market-min-duration",
        min_contributions: "#market-min-contributions", reveal_window: "#market-reveal-window", claim_wait: "#market-claim-wait" });
    } else {
      given({ refund_wait: "#refund-wait" });
    }
    if (body.mechanism === "deposit_refund_take") {
      given({ cost_weight: "#cost-weight", owner_claim_wait: "#owner-claim-wait", any_claim_wait: "#any-claim-wait" });
    }
    if (source === "file") {
      const file = form.querySelector("#model-file").files[0];
      if (!file) throw new Error("choose a model file");
      body.file_text = await file.text();
    }
    if (state.account === WALLET) {
      await walletDeploy({ body, address: null, pending: null, transactions: 0, resumedFrom: null }, false);
      return;
    }
    await deployAsDevAccount({ ...body, account: state.account });
  });
  return form;
}

// A prediction market takes a bounty and its own parameters instead of the claims' ones.
function showMechanismFields(form, mechanism) {
  form.querySelector("#claims-fields").hidden = mechanism === "prediction_market";
  form.querySelector("#market-fields").hidden = mechanism !== "prediction_market";
}

// Deploy as a dev account: the server uploads in a thread and the page follows it. The request is
// kept with the deployment's id, so that a reload which finds the server restarted (and the id
// forgotten) asks for the same deployment again: the server then finishes the model the chain holds.
async function deployAsDevAccount(body) {
  const job = await api("POST", "/api/deployments", body);
  try {
    localStorage.setItem(DEPLOYMENT, JSON.stringify({ id: job.id, body }));
  } catch (_) {
    localStorage.setItem(DEPLOYMENT, JSON.stringify({ id: job.id, body: null })); // too large to keep: followed only
  }
  await follow(job.id);
}

async function resumeDevDeployment(saved) {
  try {
    await follow(saved.id);
  } catch (error) {
    if (error.status !== 404 || !saved.body) throw error;
    await deployAsDevAccount(saved.body);
  }
}

function showProgress(job) {
  const bar = document.getElementById("deploy-progress");
  bar.max = Math.max(job.words_total, 1);
  bar.value = job.words_done;
  bar.hidden = false;
  const status = document.getElementById("deploy-status");
  status.dataset.deployment = job.id;
  status.dataset.state = job.state;
  const words = `${job.words_done.toLocaleString("en")} of ${job.words_total.toLocaleString("en")} parameter words`;
  const resumed = job.resumed_from === null ? "" : ` (resumed an unfinished upload at ${job.resumed_from.toLocaleString("en")} words)`;
  if (job.state === "running") status.replaceChildren(`Deploying ${job.name} (${job.model_type})${resumed}: ${words}, ${job.transactions} transactions so far.`);
  else if (job.state === "done") status.replaceChildren(`Deployed ${job.name}${resumed}: ${words} in ${job.transactions} transactions`
    + `${job.bounty ? `; bounty ${job.bounty.text} funded` : ""}. `,
    el("a", { href: `/models/${job.address}`, text: "Open the model" }));
  else status.replaceChildren(`Deploying ${job.name} failed.`);
}

async function follow(id) {
  for (;;) {
    let job;
    try {
      job = await api("GET", `/api/deployments/${encodeURIComponent(id)}`);
    } catch (error) {
      // the server answered (a restarted one forgets the id): forget it too; unreachable: a reload tries again
      if (error.status) localStorage.removeItem(DEPLOYMENT);
      if (!error.status) throw new Error("the server is unreachable; reload this page once it is back to carry on");
      throw error;
    }
    showProgress(job);
    if (job.state !== "running") {
      localStorage.removeItem(DEPLOYMENT);
      if (job.state === "failed") throw new Error(job.error);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const WALLET_DEPLOYMENT = "sumchain.walletDeployment";

// Deploy from the browser wallet: the API gives the next transaction from where the chain stands
// (create, list, load a chunk), the wallet sends it, and so on until done. What is under way (the
// request, the contract's address, a transaction sent but not yet mined) is kept in localStorage,
// so that a reloaded page carries on where the chain is.
async function walletDeploy(saved, resuming) {
  const store = () => localStorage.setItem(WALLET_DEPLOYMENT, JSON.stringify(saved));
  try {
    store();
  } catch (_) {
    throw new Error("the model file is too large for this browser to keep while it uploads");
  }
  for (;;) {
    if (saved.pending) {
      const hash = saved.pending;
      try {
        const receipt = await minedReceipt(hash);
        saved.address = saved.address || receipt.contractAddress;
        saved.transactions += 1;
      } finally {
        saved.pending = null;
        store();
      }
    }
    const step = await api("POST", "/api/deployments/wallet", { ...saved.body, from: state.wallet, address: saved.address || undefined });
    if (resuming && saved.resumedFrom === null) saved.resumedFrom = step.words_done;
    showProgress({ ...step, id: "wallet", transactions: saved.transactions, resumed_from: saved.resumedFrom });
    if (step.state === "done") {
      localStorage.removeItem(WALLET_DEPLOYMENT);
      return;
    }
    await sendFromWallet(step.transaction, (hash) => { saved.pending = hash; store(); });
  }
}

async function renderDeploy(main) {
  main.replaceChildren(
    el("p", {}, el("a", { href: "/", text: "← All models" })),
    el("h1", { text: "Deploy a model" }),
    el("p", { class: "muted", text: "The model goes up in chunks, as many transactions as gas allows; this page follows them, and finds them again after a reload." }),
    el("section", { "aria-labelledby": "progress-title" },
      el("h2", { id: "progress-title", text: "Progress" }),
      el("progress", { id: "deploy-progress", "aria-label": "Upload progress", hidden: true }),
      el("p", { id: "deploy-status", role: "status", "aria-live": "polite", text: "Nothing deploying." })),
    deployForm());
  const running = localStorage.getItem(DEPLOYMENT);
  if (running) {
    resumeDevDeployment(JSON.parse(running)).catch((error) => showError(`Deploying failed: ${error.message}`));
  }
  const unfinished = localStorage.getItem(WALLET_DEPLOYMENT);
  if (unfinished && state.account === WALLET) {
    walletDeploy(JSON.parse(unfinished), true).catch((error) => showError(`Deploying failed: ${error.message}`));
  } else if (unfinished) {
    notify("A deployment from the browser wallet is unfinished: choose the browser wallet above, then reload this page to carry on.");
  }
}

// -- the simulate page ----------------------------------------------------------------------

const SIMULATION = "sumchain.simulation";
const LINE_COLORS = ["#1d232a", "#6e7781", "#0b5cad", "#a4000f", "#116329", "#8250df", "#bc4c00", "#1b7c83", "#cf222e", "#b08800", "#4d2d00", "#bf3989"];
// accuracy, the baseline, then each agent's balance

// Accuracy, the all-data baseline and each agent's balance (% of its start) over simulated days,
// as sumchain simulate draws them; each line's last value is in its legend entry.
// How wide the run's chart is drawn: the room the page has for it, 280 to 720 px, so that its labels keep their size.
function chartWidth() {
  const room = document.getElementById("sim-result")?.clientWidth;
  return Math.round(Math.max(280, Math.min(720, room || 720)));
}

function runChart(run) {
  const width = chartWidth(), height = 300, left = 40, bottom = 24, top = 8;
  const last = run.times[run.times.length - 1] || 1;
  const lines = [
    { label: "accuracy", values: run.accuracy.map((a) => 100 * a) },
    { label: "all-data baseline", values: run.times.map(() => 100 * run.baseline), dashed: true },
    ...run.agents.map((agent) => ({ label: `${agent.name} (${agent.strategy}) balance`, values: agent.balance })),
  ];
  const high = Math.max(110, ...lines.flatMap((line) => line.values));
  const x = (day) => left + (day / last) * (width - left - 8);
  const y = (percent) => top + (1 - percent / high) * (height - top - bottom);
  const ticks = [0, 50, 100].map((p) => svg("g", {},
    svg("line", { x1: left, x2: width - 8, y1: y(p), y2: y(p), stroke: "#d0d7de" }),
    svg("text", { x: left - 6, y: y(p) + 4, "text-anchor": "end", "font-size": 11 }, `${p}%`)));
  const days = svg("text", { x: width - 8, y: height - 6, "text-anchor": "end", "font-size": 11 }, `day ${last.toFixed(1)}`);
  const drawn = lines.map((line, i) => svg("polyline", {
    class: "run-line", fill: "none", stroke: LINE_COLORS[i % LINE_COLORS.length], "stroke-width": i === 0 ? 3 : 2,
    "stroke-dasharray": line.dashed ? "6,4" : "none",
    points: line.values.map((v, k) => `${x(run.times[k]).toFixed(1)},${y(v).toFixed(1)}`).join(" "),
  }, svg("title", {}, line.label)));
  const label = lines.map((line) => `${line.label} ${line.values[line.values.length - 1].toFixed(1)}%`).join(", ");
  return el("figure", { id: "run-figure" },
    svg("svg", { id: "run-chart", viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": label, class: "chart" },
      ...ticks, days, ...drawn),
    el("figcaption", {}, el("ul", { class: "legend" }, lines.map((line, i) => el("li", {},
      svg("svg", { width: 12, height: 12, "aria-hidden": "true" }, svg("rect", { width: 12, height: 12, fill: LINE_COLORS[i % LINE_COLORS.length] })), " ",
      `${line.label}: ${line.values[line.values.length - 1].toFixed(1)}%`)))));
}

function runSummary(job) {
  const run = job.run;
  state.run = run;
  const rows = run.agents.map((agent) => el("tr", {},
    el("td", { text: agent.name }), el("td", { class: "hide-narrow", text: agent.strategy }),
    el("td", { class: "num", text: `${agent.balance[agent.balance.length - 1].toFixed(1)}%` }),
    el("td", { class: "num", text: agent.added.toLocaleString("en") }),
    el("td", { class: "num hide-narrow", text: agent.refunds.toLocaleString("en") }),
    el("td", { class: "num hide-narrow", text: agent.reports.toLocaleString("en") })));
  return el("section", { id: "run-result", "aria-labelledby": "result-title" },
    el("h2", { id: "result-title", text: `${job.scenario}, seed ${job.seed}: ${simulatedSpan(job)}` }),
    el("p", { text: `Accuracy ${(100 * run.accuracy[0]).toFixed(1)}% → ${(100 * run.accuracy[run.accuracy.length - 1]).toFixed(1)}% ` +
      `(the same model on all the training data: ${(100 * run.baseline).toFixed(1)}%); ${run.contributions.toLocaleString("en")} contributions, ` +
      `${run.transactions.toLocaleString("en")} transactions in ${job.seconds.toFixed(1)} s.` }),
    runChart(run),
    table("Agents", [["Agent"], ["Strategy", "hide-narrow"], ["Balance (% of start)", "num"], ["Contributions", "num"], ["Refunds", "num hide-narrow"], ["Reports", "num hide-narrow"]], rows, ""),
    el("p", {}, el("a", { href: `/api/simulations/${encodeURIComponent(job.id)}/run`, download: `${job.scenario}-seed${job.seed}.json`, text: "The run as JSON (sumchain simulate combine reads it)" })));
}

// The days a finished run covered: those asked, or where it ended early (its data used up, its agents idle).
function simulatedSpan(job) {
  return job.day < job.days ? `${job.day.toFixed(1)} of ${job.days} days (it ended early)` : `${job.days} days`;
}

function showSimulation(job) {
  const bar = document.getElementById("sim-progress");
  bar.max = job.days;
  bar.value = job.day;
  bar.hidden = false;
  const status = document.getElementById("sim-status");
  status.dataset.simulation = job.id;
  status.dataset.state = job.state;
  const rate = job.seconds > 0 ? `, ${Math.round(job.transactions / job.seconds).toLocaleString("en")} tx/s` : "";
  if (job.state === "loading") status.replaceChildren(`Loading the data of ${job.scenario} and training its baseline…`);
  else if (job.state === "running") status.replaceChildren(`Simulating ${job.scenario}: day ${job.day.toFixed(1)} of ${job.days}, ${job.transactions.toLocaleString("en")} transactions${rate}.`);
  else if (job.state === "done") status.replaceChildren(`Simulated ${job.scenario}: ${simulatedSpan(job)}, ${job.transactions.toLocaleString("en")} transactions${rate}.`);
  else status.replaceChildren(`Simulating ${job.scenario} failed.`);
  const result = document.getElementById("run-result");
  if (job.state === "done" && !result) document.getElementById("sim-result").replaceChildren(runSummary(job));
}

async function followSimulation(id) {
  for (;;) {
    let job;
    try {
      job = await api("GET", `/api/simulations/${encodeURIComponent(id)}`);
    } catch (error) {
      if (error.status) localStorage.removeItem(SIMULATION); // a restarted server forgets it
      throw error;
    }
    showSimulation(job);
    if (job.state === "done" || job.state === "failed") {
      localStorage.removeItem(SIMULATION);
      if (job.state === "failed") throw new Error(job.error);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

// Follow a simulation (this visitor's or another's) with the Run button disabled meanwhile.
async function watchSimulation(form, id) {
  busy(form, true);
  try {
    await followSimulation(id);
    showError("");
  } finally {
    busy(form, false);
  }
}

// The id of the simulation running on the server (anyone's), if any.
function runningSimulation(simulations) {
  const running = simulations.find((job) => job.state === "loading" || job.state === "running");
  return running ? running.id : null;
}

function simulateForm(scenarios) {
  const select = el("select", { id: "sim-scenario" }, scenarios.map((s) => el("option", { value: s.name, text: s.name })));
  const about = el("p", { id: "sim-about", class: "muted" });
  const days = el("input", { id: "sim-days", type: "number", min: "0.01", step: "any", required: true });
  const describe = () => {
    const chosen = scenarios.find((s) => s.name === select.value);
    about.textContent = `${chosen.description} The ${chosen.model} under ${chosen.mechanism}, on ${chosen.dataset}; agents: ${chosen.agents.join(", ")}.`;
    days.max = chosen.days;
    days.value = chosen.days;
  };
  const form = el("form", { id: "simulate-form", "aria-labelledby": "simulate-title" },
    el("h2", { id: "simulate-title", text: "Scenario" }),
    field("Scenario", select), about,
    field("Seed", el("input", { id: "sim-seed", type: "number", min: "0", step: "1", value: "0", required: true })),
    field("Simulated days", days),
    el("button", { type: "submit", text: "Run" }));
  select.addEventListener("change", describe);
  if (scenarios.length) describe();
  onSubmit(form, "Simulating", async () => {
    const body = { scenario: select.value, seed: Number(form.querySelector("#sim-seed").value), days: Number(days.value) };
    let job;
    try {
      job = await api("POST", "/api/simulations", body);
    } catch (error) {
      if (error.status !== 409) throw error;
      const { simulations } = await api("GET", "/api/simulations");
      const running = runningSimulation(simulations);
      if (!running) throw error;
      notify("Another simulation is running (one runs at a time): this page follows it; run yours once it ends.");
      document.getElementById("sim-result").replaceChildren();
      await followSimulation(running);
      return;
    }
    document.getElementById("sim-result").replaceChildren();
    localStorage.setItem(SIMULATION, job.id);
    await followSimulation(job.id);
  });
  return form;
}

async function renderSimulate(main) {
  const { scenarios, simulations } = await api("GET", "/api/simulations");
  main.replaceChildren(
    el("p", {}, el("a", { href: "/", text: "← All models" })),
    el("h1", { text: "Simulate" }),
    el("p", { class: "muted", text: "Agents act on the real contracts in simulated time, on a fresh in-memory chain of their own: this dashboard's chain is not touched. One simulation runs at a time." }),
    el("section", { "aria-labelledby": "sim-progress-title" },
      el("h2", { id: "sim-progress-title", text: "Progress" }),
      el("progress", { id: "sim-progress", "aria-label": "Simulated days", hidden: true }),
      el("p", { id: "sim-status", role: "status", "aria-live": "polite", text: "Nothing simulating." })),
    el("div", { id: "sim-result" }),
    simulateForm(scenarios));
  const id = runningSimulation(simulations) || localStorage.getItem(SIMULATION);
  if (id) watchSimulation(document.getElementById("simulate-form"), id).catch((error) => showError(`Simulating failed: ${error.message}`));
}

async function render() {
  const main = document.getElementById("main");
  const path = window.location.pathname;
  try {
    await loadChain();
    const match = path.match(/^\/models\/([^/]+)$/);
    if (path === "/") await renderList(main);
    else if (path === "/deploy") await renderDeploy(main);
    else if (path === "/simulate") await renderSimulate(main);
    else if (match) await renderModel(main, decodeURIComponent(match[1]));
    else throw new Error(`nothing at ${path}`);
  } catch (error) {
    main.replaceChildren(el("h1", { text: "Something went wrong" }), el("p", {}, el("a", { href: "/", text: "← All models" })));
    showError(error.message);
  }
  document.body.dataset.ready = "1";
  window.sumchainRendered = performance.now();
}

window.addEventListener("resize", () => {
  const figure = document.getElementById("run-figure");
  if (figure && state.run && Number(figure.querySelector("svg").getAttribute("width")) !== chartWidth()) figure.replaceWith(runChart(state.run));
});

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("account").addEventListener("change", async (event) => {
    const value = event.target.value;
    state.account = value === WALLET ? WALLET : Number(value);
    localStorage.setItem("sumchain.account", value);
    showError("");
    try {
      if (state.account === WALLET) await connectWallet();
      await loadChain();
      if (state.model) await refreshModel();
    } catch (error) {
      showError(error.message);
    }
  });
  render();
});
