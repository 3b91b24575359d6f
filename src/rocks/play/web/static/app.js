// The rocks board page: draws the game as SVG and talks to the JSON API (docs/guide.md).
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const COLUMNS = "ABCDEFGHJKLMNOPQRSTUVWXYZ";
const $ = (id) => document.getElementById(id);
const board = $("board");

let state = null;   // the last game state the server sent
let busy = false;   // a request is in flight (the bot may be thinking)
let viewing = null; // the move number being reviewed, or null for the live game

// ------------------------------------------------------------------ API
async function api(method, path, body) {
  const opts = { method, headers: {} };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(path, opts);
  const data = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
  if (!res.ok) throw new Error(data.error || `HTTP ${res.status}`);
  return data;
}

function showError(message) {
  const box = $("error");
  box.textContent = message || "";
  box.hidden = !message;
}

async function run(task) {
  if (busy) return;
  busy = true;
  board.dataset.busy = "true";
  setControls();
  showError("");
  try {
    await task();
  } catch (err) {
    showError(err.message);
  } finally {
    busy = false;
    board.dataset.busy = "false";
    setControls();
    setStatus();
  }
}

async function botIfItsTurn() {
  while (state && state.bot_to_move) {
    setStatus("Bot is thinking", true);
    render(await api("POST", `/api/games/${state.id}/genmove`));
  }
}

// ------------------------------------------------------------------ actions
function newGame(extra) {
  const unit = $("strength-unit").value;
  const amount = Number($("strength").value);
  const body = {
    size: Number($("size").value), komi: Number($("komi").value),
    handicap: Number($("handicap").value), colour: $("colour").value,
    ...(unit === "visits" ? { visits: Math.max(1, Math.round(amount)) } : { seconds: amount }),
    ...extra,
  };
  return run(async () => {
    render(await api("POST", "/api/games", body));
    sessionStorage.setItem("rocks-game", state.id);
    await botIfItsTurn();
  });
}

function play(vertex) {
  if (!state || busy || state.over || state.bot_to_move) return;
  if (viewing !== null) { render(state); return; } // a click while reviewing returns to the game
  return run(async () => {
    render(await api("POST", `/api/games/${state.id}/move`, { move: vertex }));
    await botIfItsTurn();
  });
}

function undo() {
  if (!state) return;
  return run(async () => render(await api("POST", `/api/games/${state.id}/undo`)));
}

function resign() {
  if (!state || state.over) return;
  return run(async () => render(await api("POST", `/api/games/${state.id}/resign`)));
}

function uploadSgf(file) {
  if (!file) return;
  file.text().then((text) => newGame({ sgf: text, colour: null }));
}

// ------------------------------------------------------------------ drawing
function el(name, attrs, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function vertexName(row, col, n) { return `${COLUMNS[col]}${n - row}`; }

function parseVertex(v, n) {
  if (!v || v.toLowerCase() === "pass" || v === "resign") return null;
  return { row: n - Number(v.slice(1)), col: COLUMNS.indexOf(v[0].toUpperCase()) };
}

function starPoints(n) {
  if (n < 7) return [];
  const e = n <= 11 ? 2 : 3;
  const lines = n % 2 ? [e, (n - 1) / 2, n - 1 - e] : [e, n - 1 - e];
  const pts = [];
  for (const r of lines) for (const c of lines) pts.push([r, c]);
  if (n === 9) return pts.filter(([r, c]) => (r === 4) === (c === 4)); // 4 corners + tengen
  return pts;
}

function drawDefs() {
  const defs = el("defs", {}, board);
  const wood = el("linearGradient", { id: "wood", x1: 0, y1: 0, x2: 1, y2: 1 }, defs);
  el("stop", { offset: "0", "stop-color": "#ecc67e" }, wood);
  el("stop", { offset: "0.5", "stop-color": "#deaf5f" }, wood);
  el("stop", { offset: "1", "stop-color": "#d09c4c" }, wood);
  const grain = el("pattern", { id: "grain", width: 4, height: 0.5, patternUnits: "userSpaceOnUse",
    patternTransform: "rotate(3)" }, defs);
  el("rect", { width: 4, height: 0.5, fill: "none" }, grain);
  el("line", { x1: 0, y1: 0.25, x2: 4, y2: 0.25, stroke: "#b98436", "stroke-width": 0.02,
    opacity: 0.35 }, grain);
  const black = el("radialGradient", { id: "stone-black", cx: "35%", cy: "30%", r: "70%" }, defs);
  el("stop", { offset: "0", "stop-color": "#6b6b6b" }, black);
  el("stop", { offset: "0.45", "stop-color": "#1c1c1c" }, black);
  el("stop", { offset: "1", "stop-color": "#000" }, black);
  const white = el("radialGradient", { id: "stone-white", cx: "35%", cy: "30%", r: "75%" }, defs);
  el("stop", { offset: "0", "stop-color": "#ffffff" }, white);
  el("stop", { offset: "0.7", "stop-color": "#e9e5dc" }, white);
  el("stop", { offset: "1", "stop-color": "#bfb9ad" }, white);
  const shadow = el("filter", { id: "shadow", x: "-30%", y: "-30%", width: "160%", height: "160%" }, defs);
  el("feDropShadow", { dx: 0.06, dy: 0.08, stdDeviation: 0.05, "flood-opacity": 0.45 }, shadow);
}

function render(next) {
  state = next;
  viewing = null;
  draw(state);
}

// Draws a game state, or a review view of an earlier move (same fields); `state` here shadows
// the live game on purpose.
function draw(state) {
  const n = state.size;
  const pad = 1.0;
  const span = n - 1 + 2 * pad;
  board.innerHTML = "";
  board.setAttribute("viewBox", `${-pad} ${-pad} ${span} ${span}`);
  board.dataset.size = n;
  board.dataset.moveNumber = state.move_number;
  board.dataset.over = state.over;
  drawDefs();
  el("rect", { x: -pad, y: -pad, width: span, height: span, fill: "url(#wood)" }, board);
  el("rect", { x: -pad, y: -pad, width: span, height: span, fill: "url(#grain)" }, board);

  const grid = el("g", { stroke: "#3b2a12", "stroke-width": 0.035, "stroke-linecap": "square" }, board);
  for (let i = 0; i < n; i++) {
    el("line", { x1: 0, y1: i, x2: n - 1, y2: i }, grid);
    el("line", { x1: i, y1: 0, x2: i, y2: n - 1 }, grid);
  }
  el("rect", { x: 0, y: 0, width: n - 1, height: n - 1, fill: "none", "stroke-width": 0.06 }, grid);
  for (const [r, c] of starPoints(n)) el("circle", { cx: c, cy: r, r: 0.1, fill: "#3b2a12" }, board);

  for (let i = 0; i < n; i++) {
    for (const y of [-0.62, n - 1 + 0.62]) {
      const t = el("text", { x: i, y, class: "coord" }, board);
      t.textContent = COLUMNS[i];
    }
    for (const x of [-0.62, n - 1 + 0.62]) {
      const t = el("text", { x, y: i, class: "coord" }, board);
      t.textContent = String(n - i);
    }
  }

  drawOwnership(n, state);
  const stones = el("g", {}, board);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const ch = state.board[r][c];
      if (ch === ".") continue;
      el("circle", { cx: c, cy: r, r: 0.47, fill: `url(#stone-${ch === "X" ? "black" : "white"})`,
        filter: "url(#shadow)", class: `stone ${ch === "X" ? "black" : "white"}`,
        "data-vertex": vertexName(r, c, n) }, stones);
    }
  }
  const last = state.last_move && parseVertex(state.last_move.move, n);
  if (last) {
    const ch = state.board[last.row][last.col];
    el("circle", { cx: last.col, cy: last.row, r: 0.17, fill: "none", "stroke-width": 0.06,
      stroke: ch === "X" ? "#fff" : "#000", class: "marker", id: "last-move" }, board);
  }
  drawCandidates(n, state);

  const hover = el("circle", { r: 0.47, class: "hover", visibility: "hidden",
    fill: `url(#stone-${state.human})` }, board);
  const hits = el("g", {}, board);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const v = vertexName(r, c, n);
      const hit = el("rect", { x: c - 0.5, y: r - 0.5, width: 1, height: 1, fill: "#000",
        "fill-opacity": 0, "pointer-events": "all", class: "hit", "data-vertex": v }, hits);
      hit.addEventListener("click", () => play(v));
      hit.addEventListener("mouseenter", () => {
        const mine = !busy && !state.over && !state.bot_to_move && state.board[r][c] === ".";
        hover.setAttribute("cx", c);
        hover.setAttribute("cy", r);
        hover.setAttribute("visibility", mine ? "visible" : "hidden");
      });
    }
  }
  board.addEventListener("mouseleave", () => hover.setAttribute("visibility", "hidden"));
  renderPanel(state);
  if (window.afterDraw) window.afterDraw(state); // review.js: graph, review marks, hint
}

function drawOwnership(n, state) {
  if (!$("ownership-toggle").checked) return;
  const own = state.over ? state.score.ownership : state.analysis && state.analysis.ownership;
  if (!own) return;
  const g = el("g", { class: "ownership", "pointer-events": "none" }, board);
  for (let p = 0; p < n * n; p++) {
    const v = own[p];
    if (Math.abs(v) < 0.15) continue;
    const s = 0.42 * Math.min(1, Math.abs(v));
    const r = Math.floor(p / n), c = p % n;
    if (state.board[r][c] === (v > 0 ? "X" : "O")) continue; // a live stone says it already
    el("rect", { x: c - s / 2, y: r - s / 2, width: s, height: s, rx: 0.04,
      fill: v > 0 ? "#111" : "#fafafa", opacity: 0.7, stroke: v > 0 ? "none" : "#777",
      "stroke-width": 0.015 }, g);
  }
}

function drawCandidates(n, state) {
  if (!$("candidates-toggle").checked || !state.analysis || state.over || state.bot_to_move) return;
  const g = el("g", { class: "candidates" }, board);
  // Candidates were for the bot's last move; show where it had looked, labelled by rank.
  state.analysis.candidates.slice(0, 5).forEach((cand, i) => {
    const pt = parseVertex(cand.move, n);
    if (!pt || state.board[pt.row][pt.col] !== "." ) return;
    el("circle", { cx: pt.col, cy: pt.row, r: 0.3, fill: "#7fb7d9", opacity: 0.55,
      class: "marker" }, g);
    const t = el("text", { x: pt.col, y: pt.row, class: "cand-label" }, g);
    t.textContent = String(i + 1);
  });
}

function pct(x) { return x === null || x === undefined ? "–" : `${(100 * x).toFixed(1)}%`; }

function renderPanel(state) {
  $("captures-black").textContent = state.captures.black;
  $("captures-white").textContent = state.captures.white;
  $("name-black").textContent = state.human === "black" ? "You (Black)" : "Bot (Black)";
  $("name-white").textContent = state.human === "white" ? "You (White)" : "Bot (White)";
  $("move-count").textContent = state.move_number;
  $("sgf-link").href = `/api/games/${state.id}/sgf`;

  const s = state.score;
  const lead = s.margin > 0 ? `B+${s.margin}` : s.margin < 0 ? `W+${-s.margin}` : "even";
  $("score").innerHTML = state.over
    ? `<div class="result" id="result">${state.result}</div>` +
      (state.end_reason === "resign" ? `<div>by resignation</div>` :
        `<div>Area (Tromp-Taylor): Black ${s.black_area}, White ${s.white_area} + ${s.komi} komi</div>`)
    : `<div>Area now: Black ${s.black_area}, White ${s.white_area} + ${s.komi} komi (${lead})</div>`;

  const a = state.analysis;
  $("winrate").textContent = a && a.winrate !== null
    ? `bot (${a.colour}) ${pct(a.winrate)} to win` : (a ? `bot played ${a.move}` : "–");
  $("winrate-fill").style.width = a && a.winrate !== null ? `${100 * a.winrate}%` : "0";
  $("pv").textContent = a && a.pv.length ? a.pv.join(" ") : (a ? a.move : "–");
  $("candidates").hidden = !(a && a.candidates.length);
  const body = $("candidates").querySelector("tbody");
  body.innerHTML = "";
  for (const cand of (a ? a.candidates.slice(0, 6) : [])) {
    const row = document.createElement("tr");
    for (const text of [cand.move, cand.visits, pct(cand.prior), pct(cand.winrate)]) {
      const td = document.createElement("td");
      td.textContent = text;
      row.appendChild(td);
    }
    body.appendChild(row);
  }

  const list = $("moves");
  list.innerHTML = "";
  state.moves.forEach((m, i) => {
    const li = document.createElement("li");
    li.textContent = `${m.colour === "black" ? "B" : "W"} ${m.move}`;
    li.title = "show the board after this move";
    if (viewing === i + 1) li.className = "viewing";
    li.addEventListener("click", () => review(i + 1));
    list.appendChild(li);
  });
  if (viewing === null) list.scrollTop = list.scrollHeight;
  setControls();
  setStatus();
}

function setControls() {
  const live = state && !state.over;
  $("pass").disabled = busy || !live || state.bot_to_move;
  $("resign").disabled = busy || !live;
  $("undo").disabled = busy || !state || state.move_number === 0;
  $("new-game").disabled = busy;
}

// ------------------------------------------------------------------ review
async function review(k) {
  if (!state || busy) return;
  if (k < 0 || k > state.move_number) return;
  if (k === state.move_number) { render(state); return; }
  try {
    const pos = await api("GET", `/api/games/${state.id}/position/${k}`);
    viewing = k;
    draw({ ...state, ...pos, moves: state.moves, analysis: null, over: false,
      bot_to_move: true });
    board.dataset.viewing = k;
    setStatus();
  } catch (err) {
    showError(err.message);
  }
}

function setStatus(text, thinking) {
  const box = $("status");
  board.dataset.viewing = viewing === null ? "" : viewing;
  if (text === undefined && viewing !== null) {
    text = `Reviewing move ${viewing} of ${state.move_number} (← → to step, Esc to return)`;
  } else if (text === undefined) {
    if (!state) text = "No game";
    else if (state.over) text = `Game over: ${state.result}`;
    else if (state.bot_to_move) text = "Bot to move";
    else text = `Your move (${state.human})` + (state.passes ? " — the bot passed" : "");
  }
  box.textContent = text;
  box.classList.toggle("thinking", Boolean(thinking));
}

// ------------------------------------------------------------------ wiring
$("new-game-form").addEventListener("submit", (e) => { e.preventDefault(); newGame(); });
$("pass").addEventListener("click", () => play("pass"));
$("undo").addEventListener("click", undo);
$("resign").addEventListener("click", resign);
$("sgf-file").addEventListener("change", (e) => uploadSgf(e.target.files[0]));
for (const id of ["ownership-toggle", "candidates-toggle"]) {
  $(id).addEventListener("change", () => state && render(state));
}
document.addEventListener("keydown", (e) => {
  if (e.target.tagName === "INPUT" || e.target.tagName === "SELECT") return;
  if (e.key === "p") play("pass");
  if (e.key === "u") undo();
  if (!state) return;
  const at = viewing === null ? state.move_number : viewing;
  if (e.key === "ArrowLeft") review(at - 1);
  if (e.key === "ArrowRight") review(at + 1);
  if (e.key === "Escape" || e.key === "End") review(state.move_number);
  if (e.key === "Home") review(0);
});

(async function start() {
  const id = sessionStorage.getItem("rocks-game");
  if (id) {
    try {
      render(await api("GET", `/api/games/${id}`));
      await run(botIfItsTurn);
      return;
    } catch (err) {
      sessionStorage.removeItem("rocks-game");
    }
  }
  await newGame();
})();
