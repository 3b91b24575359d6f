// Teaching on the rocks board page (docs/guide.md, "Reviewing a game"): the win-rate and score
// graph under the board (updated as the game goes, clickable to jump to a move), review mode
// (each move's point loss and the bot's preferred move, from POST /api/games/{id}/review), and
// an optional hint (the bot's top move on your turn, POST /api/games/{id}/hint; off by default).
// Uses app.js's globals: state, viewing, busy, api, run, review, el, parseVertex, board, $.
"use strict";

const GRAPH_W = 600, GRAPH_H = 120;
let graphGame = null;     // the game id the points below belong to
let graphPoints = {};     // move number -> {winrate, score} (Black's view) seen while playing
let reviewData = null;    // the last review of this game (null: none, or the game moved on)
let hintKey = null;       // "id:move" the hint below is for
let hintMove = null;

// ------------------------------------------------------------------ data
function keepGraphData(st) {
  if (graphGame !== st.id) { graphGame = st.id; graphPoints = {}; reviewData = null; }
  for (const k of Object.keys(graphPoints)) if (Number(k) > st.move_number) delete graphPoints[k];
  if (reviewData && reviewData.moves.length !== st.move_number) reviewData = null;
  const a = st.analysis;
  if (!a || a.winrate === null || a.winrate === undefined) return;
  // Only right after the bot's move: later states (the human's reply) still carry it.
  const fresh = a.move === "resign" || (st.last_move && st.last_move.move === a.move
    && st.last_move.colour === a.colour);
  if (!fresh) return;
  // The bot searched the position before its move; resigning leaves the move number as it is.
  const k = a.move === "resign" ? st.move_number : st.move_number - 1;
  const black = a.colour === "black";
  const score = a.score_lead === null || a.score_lead === undefined ? null
    : (black ? a.score_lead : -a.score_lead);
  graphPoints[k] = { winrate: black ? a.winrate : 1 - a.winrate, score };
}

function series() {
  if (reviewData) {
    const pts = [{ k: 0, ...reviewData.start, winrate: reviewData.start.winrate,
      score: reviewData.start.score_lead }];
    for (const m of reviewData.moves) pts.push({ k: m.number, winrate: m.winrate, score: m.score_lead });
    return pts;
  }
  return Object.entries(graphPoints).map(([k, p]) => ({ k: Number(k), ...p }))
    .sort((a, b) => a.k - b.k);
}

// ------------------------------------------------------------------ the graph
function drawGraph(st) {
  const svg = $("graph");
  svg.innerHTML = "";
  svg.setAttribute("viewBox", `0 0 ${GRAPH_W} ${GRAPH_H}`);
  svg.setAttribute("preserveAspectRatio", "none");
  const total = Math.max(st.move_number, 1);
  const x = (k) => 6 + (GRAPH_W - 12) * k / total;
  const yWin = (w) => 6 + (GRAPH_H - 12) * (1 - w);
  const pts = series();
  const scores = pts.filter((p) => p.score !== null && p.score !== undefined);
  const scale = Math.max(5, ...scores.map((p) => Math.abs(p.score)));
  const yScore = (s) => yWin(0.5 + 0.5 * s / scale);
  el("line", { x1: 0, x2: GRAPH_W, y1: yWin(0.5), y2: yWin(0.5), stroke: "#bbb",
    "stroke-dasharray": "4 3", "stroke-width": 1 }, svg);
  const at = viewing === null ? st.move_number : viewing;
  el("line", { x1: x(at), x2: x(at), y1: 0, y2: GRAPH_H, stroke: "#d09c4c", "stroke-width": 2,
    id: "graph-cursor" }, svg);
  if (scores.length > 1) {
    el("polyline", { points: scores.map((p) => `${x(p.k)},${yScore(p.score)}`).join(" "),
      fill: "none", stroke: "#2f7fc1", "stroke-width": 1.8, class: "graph-score" }, svg);
  }
  if (pts.length > 1) {
    el("polyline", { points: pts.map((p) => `${x(p.k)},${yWin(p.winrate)}`).join(" "),
      fill: "none", stroke: "#222", "stroke-width": 2, class: "graph-winrate" }, svg);
  }
  for (const p of pts) {
    el("circle", { cx: x(p.k), cy: yWin(p.winrate), r: 2.2, fill: "#222" }, svg);
  }
  if (reviewData) {
    for (const side of ["black", "white"]) {
      for (const k of reviewData.mistakes[side]) {
        const m = reviewData.moves[k - 1];
        el("circle", { cx: x(k), cy: yWin(m.winrate), r: 5, fill: "#b3261e", opacity: 0.85,
          class: "graph-mistake", "data-move": k }, svg);
      }
    }
  }
  // One clickable band per move: a click jumps to the board after that move.
  for (let k = 0; k <= st.move_number; k++) {
    const left = k === 0 ? 0 : (x(k - 1) + x(k)) / 2;
    const right = k === st.move_number ? GRAPH_W : (x(k) + x(k + 1)) / 2;
    const hit = el("rect", { x: left, y: 0, width: Math.max(0.5, right - left), height: GRAPH_H,
      class: "graph-hit", "data-move": k }, svg);
    hit.addEventListener("click", () => review(k));
  }
  const last = pts.length ? pts[pts.length - 1] : null;
  $("graph-note").textContent = reviewData ? "reviewed: click a move"
    : (last ? `Black ${(100 * last.winrate).toFixed(0)}%` +
       (last.score !== null && last.score !== undefined ? `, ${leadText(last.score)}` : "") : "");
}

function leadText(s) { return s >= 0 ? `B+${s.toFixed(1)}` : `W+${(-s).toFixed(1)}`; }

// ------------------------------------------------------------------ review mode
function requestReview() {
  if (!state || busy || state.move_number === 0) return;
  const visits = Math.min(200, (state.strength && state.strength.visits) || 50);
  return run(async () => {
    setStatus("Reviewing the game", true);
    reviewData = await api("POST", `/api/games/${state.id}/review`, { visits });
    $("review-card").hidden = false;
    showMistakes();
  }).then(() => state && (viewing === null ? render(state) : review(viewing)));
}

function showMistakes() {
  const box = $("review-mistakes");
  box.innerHTML = "";
  if (!reviewData) return;
  for (const note of reviewData.notes) {
    const div = document.createElement("div");
    div.className = "note";
    div.textContent = note;
    box.appendChild(div);
  }
  for (const side of ["black", "white"]) {
    const div = document.createElement("div");
    div.textContent = `${side === "black" ? "Black" : "White"}'s biggest mistakes: `;
    const ks = reviewData.mistakes[side];
    if (!ks.length) div.append("none");
    for (const k of ks) {
      const a = document.createElement("a");
      const m = reviewData.moves[k - 1];
      a.textContent = `${k}. ${m.move} (−${m.loss.toFixed(1)})`;
      a.className = "mistake-link";
      a.dataset.move = k;
      a.addEventListener("click", () => review(k));
      div.appendChild(a);
    }
    box.appendChild(div);
  }
}

function showReviewedMove(st) {
  const box = $("review-move");
  $("review-card").hidden = !reviewData;
  if (!reviewData) { box.innerHTML = ""; return; }
  const k = viewing === null ? st.move_number : viewing;
  const m = k > 0 ? reviewData.moves[k - 1] : null;
  if (!m) { box.textContent = `Start: Black ${(100 * reviewData.start.winrate).toFixed(1)}%`; return; }
  const better = m.best && m.best !== m.move;
  box.innerHTML = "";
  const head = document.createElement("div");
  head.textContent = `Move ${k}: ${m.colour === "black" ? "B" : "W"} ${m.move} · Black ` +
    `${(100 * m.winrate).toFixed(1)}% · ${leadText(m.score_lead)}`;
  const loss = document.createElement("div");
  loss.id = "point-loss";
  loss.innerHTML = `point loss <span class="loss">${m.loss.toFixed(1)}</span>` +
    (better ? ` · bot preferred <b id="preferred">${m.best}</b>` : " · the bot's move too");
  box.append(head, loss);
  if (better && m.pv.length) {
    const pv = document.createElement("div");
    pv.textContent = `variation: ${m.pv.join(" ")}`;
    box.appendChild(pv);
  }
  // The preferred move on the board: a green ring where the bot would have played.
  if (better) {
    const pt = parseVertex(m.best, st.size);
    if (pt) {
      el("circle", { cx: pt.col, cy: pt.row, r: 0.36, fill: "none", stroke: "#1e8e3e",
        "stroke-width": 0.09, class: "best-move marker", "data-vertex": m.best,
        "pointer-events": "none" }, board);
    }
  }
}

function annotateMoveList() {
  if (!reviewData) return;
  $("moves").querySelectorAll("li").forEach((li, i) => {
    const m = reviewData.moves[i];
    if (!m || m.loss < 1) return;
    // The list's columns are narrow: the move turns red, its loss is in the tooltip.
    li.classList.add("mistake");
    li.dataset.loss = m.loss.toFixed(1);
    li.title = `point loss ${m.loss.toFixed(1)}; the bot preferred ${m.best}`;
  });
}

// ------------------------------------------------------------------ hint
function maybeHint(st) {
  const wanted = $("hint-toggle").checked && viewing === null && !st.over && !st.bot_to_move;
  const key = `${st.id}:${st.move_number}`;
  if (!wanted) return;
  if (hintKey === key) { drawHint(st); return; }
  hintKey = key;
  hintMove = null;
  api("POST", `/api/games/${st.id}/hint`).then((h) => {
    if (hintKey !== key) return;
    hintMove = h.move;
    if (viewing === null && state && `${state.id}:${state.move_number}` === key) drawHint(state);
  }).catch(() => { hintKey = null; });
}

function drawHint(st) {
  const pt = hintMove && parseVertex(hintMove, st.size);
  if (!pt || document.getElementById("hint")) return;
  el("circle", { cx: pt.col, cy: pt.row, r: 0.28, fill: "#f2c94c", opacity: 0.9, id: "hint",
    class: "marker", "data-vertex": hintMove, "pointer-events": "none" }, board);
}

// ------------------------------------------------------------------ wiring
window.afterDraw = function (st) {
  if (viewing === null) keepGraphData(st);
  drawGraph(state || st);
  showReviewedMove(st);
  annotateMoveList();
  maybeHint(st);
};
$("review-game").addEventListener("click", requestReview);
$("hint-toggle").addEventListener("change", () => state && render(state));
