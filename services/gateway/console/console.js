// Monitoring-room console. Plain JavaScript, no external resources: it works offline.
// The token is pasted into the page (or given once as ?token=, then removed from the address)
// and kept in sessionStorage, so it lives only as long as this browser tab. Every call sends it
// in the Authorization header; the live feed is read with fetch() streaming (not EventSource),
// so the token never appears in a URL.
"use strict";

const state = {
  token: sessionStorage.getItem("console.token") || "",
  lastEventId: sessionStorage.getItem("console.lastEventId") || "",
  room: sessionStorage.getItem("console.room") || "",
  feed: null, // AbortController of the running feed
  shift: null,
  sites: [],
};
const FEED_MAX = 200;

function $(id) { return document.getElementById(id); }

function el(tag, attrs, ...children) {
  const node = tag.startsWith("svg:")
    ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
    : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.setAttribute("class", value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null) node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function showError(message) {
  const box = $("error");
  if (!message) { box.hidden = true; box.textContent = ""; return; }
  box.hidden = false;
  box.textContent = message;
}

class ApiError extends Error {
  constructor(status, body) {
    const fields = (body.errors || []).map((e) => `${e.field}: ${e.description}`).join("; ");
    super(`${status} ${body.title || ""}: ${body.detail || ""}${fields ? " (" + fields + ")" : ""}`);
    this.status = status;
    this.body = body;
  }
}

async function api(path, options = {}) {
  const headers = { Authorization: `Bearer ${state.token}` };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method: options.method || "GET",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  const body = text ? JSON.parse(text) : {};
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

async function guarded(work) {
  try {
    showError("");
    return await work();
  } catch (error) {
    showError(error.message);
    return undefined;
  }
}

function short(value) {
  if (!value) return "";
  return String(value).replace("T", " ").replace(/\.\d+Z$/, "Z");
}

function shortName(name) { return (name || "").split("/").pop(); }

// ---- token -----------------------------------------------------------------------------

function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(decodeURIComponent(escape(atob(part))));
  } catch (_) {
    return null;
  }
}

function useToken(token) {
  state.token = token.trim();
  if (state.token) sessionStorage.setItem("console.token", state.token);
  else sessionStorage.removeItem("console.token");
  const who = claims(state.token);
  $("whoami").textContent = who ? `${who.name || who.sub} (${(who.roles || []).join(", ")})` : "not signed in";
  restartFeed();
  if (state.token) loadRooms();
}

// ---- live alerts -----------------------------------------------------------------------

function setFeedStatus(text, live) {
  const badge = $("feed-status");
  badge.textContent = text;
  badge.classList.toggle("live", Boolean(live));
}

function parseEvent(block) {
  const event = { type: "message", id: null, data: "" };
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event.type = value;
    else if (field === "id") event.id = value;
    else if (field === "data") event.data += (event.data ? "\n" : "") + value;
  }
  return event;
}

let alarmsRefresh = null;

function onAlert(alert) {
  const feed = $("feed");
  const item = el(
    "li",
    { class: `sev-${alert.severity}`, "data-subject": alert.subject || "", "data-kind": alert.kind },
    el("div", {}, el("strong", {}, alert.kind), " — ", alert.message || ""),
    el("div", { class: "meta" },
      `${alert.source} · ${alert.subject || ""} · ${alert.site || "no site"} · ${short(alert.create_time)}`),
  );
  feed.prepend(item);
  while (feed.children.length > FEED_MAX) feed.lastChild.remove();
  clearTimeout(alarmsRefresh);
  alarmsRefresh = setTimeout(loadAlarms, 700); // the duty log records the alert as an alarm
}

async function runFeed(controller) {
  let delay = 500;
  while (!controller.signal.aborted && state.token) {
    try {
      const headers = { Authorization: `Bearer ${state.token}`, Accept: "text/event-stream" };
      if (state.lastEventId) headers["Last-Event-ID"] = state.lastEventId;
      const response = await fetch("/v1/alerts:stream", { headers, signal: controller.signal });
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        setFeedStatus(`refused (${response.status})`, false);
        showError(new ApiError(response.status, body).message);
        if (response.status === 401 || response.status === 403) return;
        if (response.status === 400) { state.lastEventId = ""; sessionStorage.removeItem("console.lastEventId"); }
      } else {
        setFeedStatus("live", true);
        delay = 500;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n/g, "\n");
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const event = parseEvent(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            if (event.type === "alert" && event.data) {
              if (event.id) {
                state.lastEventId = event.id;
                sessionStorage.setItem("console.lastEventId", event.id);
              }
              onAlert(JSON.parse(event.data));
            } else if (event.type === "source-closed") {
              const data = JSON.parse(event.data);
              showError(`alert source ${data.source} closed: ${data.status} ${data.detail}`);
            }
          }
        }
      }
    } catch (error) {
      if (controller.signal.aborted) return;
    }
    setFeedStatus("reconnecting…", false);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 10000);
  }
}

function restartFeed() {
  if (state.feed) state.feed.abort();
  state.feed = null;
  setFeedStatus("offline", false);
  if (!state.token) return;
  state.feed = new AbortController();
  runFeed(state.feed);
}

// ---- rooms and alarms ------------------------------------------------------------------

async function loadRooms() {
  const reply = await guarded(() => api("/v1/rooms?page_size=1000"));
  if (!reply) return;
  const select = $("room");
  select.replaceChildren(...(reply.rooms || []).map((room) =>
    el("option", { value: shortName(room.name) }, room.display_name || room.name)));
  if (state.room && [...select.options].some((o) => o.value === state.room)) select.value = state.room;
  state.room = select.value;
  await Promise.all([loadAlarms(), loadDutyLog()]);
}

function roomPath() { return `/v1/rooms/${encodeURIComponent(state.room)}`; }

async function alarmAction(alarm, verb, note) {
  const id = encodeURIComponent(shortName(alarm.name));
  const done = await guarded(() => api(`${roomPath()}/alarms/${id}:${verb}`, { method: "POST", body: { note } }));
  if (done) await loadAlarms();
}

async function loadAlarms() {
  if (!state.room) return;
  const reply = await guarded(() => api(`${roomPath()}/alarms?open_only=true&page_size=1000`));
  if (!reply) return;
  const rows = (reply.alarms || []).slice().reverse().map((alarm) => {
    const note = el("input", { placeholder: "resolution note", "aria-label": "resolution note" });
    const actions = [];
    if (alarm.state === "ALARM_STATE_OPEN") {
      actions.push(el("button", { type: "button", class: "ack", onclick: () => alarmAction(alarm, "acknowledge", "") }, "Acknowledge"));
    } else {
      actions.push(note, el("button", {
        type: "button", class: "resolve",
        onclick: () => {
          if (!note.value.trim()) { showError("a resolution note is required"); return; }
          alarmAction(alarm, "resolve", note.value.trim());
        },
      }, "Resolve"));
    }
    return el("tr", { class: `sev-${alarm.severity}`, "data-alarm": alarm.name, "data-subject": alarm.subject || "" },
      el("td", {}, (alarm.severity || "").replace("SEVERITY_", "")),
      el("td", {}, alarm.kind),
      el("td", {}, alarm.subject || "", el("div", { class: "meta muted" }, alarm.summary || "")),
      el("td", { class: "state" }, (alarm.state || "").replace("ALARM_STATE_", "")),
      el("td", {}, actions));
  });
  $("alarms").tBodies[0].replaceChildren(...rows);
}

// ---- duty log --------------------------------------------------------------------------

async function loadDutyLog() {
  if (!state.room) return;
  const [shifts, handovers] = await Promise.all([
    guarded(() => api(`${roomPath()}/shifts?page_size=1000`)),
    guarded(() => api(`${roomPath()}/handovers?page_size=1000`)),
  ]);
  state.shift = (shifts && (shifts.shifts || []).find((s) => s.state === "SHIFT_STATE_OPEN")) || null;
  $("open-shift-form").hidden = Boolean(state.shift);
  $("handover-form").hidden = !state.shift;
  $("shift").textContent = state.shift
    ? `${shortName(state.shift.name)} — leader ${state.shift.leader.display_name}, since ${short(state.shift.start_time)}`
    : "no open shift";
  $("handovers").replaceChildren(...((handovers && handovers.handovers) || []).slice().reverse().map((h) =>
    el("li", { "data-handover": h.name },
      `${shortName(h.name)} · ${h.state.replace("HANDOVER_STATE_", "")} · ${(h.open_alarms || []).length} open alarms`,
      h.state === "HANDOVER_STATE_PENDING"
        ? el("button", { type: "button", onclick: () => acknowledgeHandover(h) }, "Acknowledge")
        : null)));
  await loadEntries();
}

// The newest 100 entries, newest first, however long the room's log is.
async function loadEntries() {
  const reply = await guarded(() => api(`${roomPath()}/entries?order_by=${encodeURIComponent("seq desc")}&page_size=100`));
  if (!reply) return;
  $("entries").replaceChildren(...(reply.entries || []).map(entryItem));
}

function entryItem(entry) {
  return el("li", { "data-entry": entry.name },
    el("div", {}, el("strong", {}, (entry.kind || "").replace("ENTRY_KIND_", "")), " ", entry.text),
    el("div", { class: "meta" },
      `#${entry.seq} · ${entry.author ? entry.author.display_name : ""} · ${short(entry.entry_time)}`));
}

async function acknowledgeHandover(handover) {
  const done = await guarded(() => api(`${roomPath()}/handovers/${encodeURIComponent(shortName(handover.name))}:acknowledge`, { method: "POST" }));
  if (done) await loadDutyLog();
}

async function submitEntry(event) {
  event.preventDefault();
  const containers = $("entry-containers").value.split(",").map((s) => s.trim().toUpperCase()).filter(Boolean);
  const body = { kind: $("entry-kind").value, text: $("entry-text").value.trim() };
  if (containers.length) body.references = { container_numbers: containers };
  const created = await guarded(() => api(`${roomPath()}/entries`, { method: "POST", body }));
  if (created) {
    $("entry-text").value = "";
    $("entry-containers").value = "";
    await loadEntries();
  }
}

async function submitOpenShift(event) {
  event.preventDefault();
  const who = claims(state.token) || {};
  const leader = { subject: who.sub, display_name: who.name || who.sub, department: $("shift-department").value };
  const id = encodeURIComponent($("shift-id").value.trim());
  const opened = await guarded(() => api(`${roomPath()}/shifts?shift_id=${id}`, { method: "POST", body: { leader } }));
  if (opened) { $("shift-id").value = ""; await loadDutyLog(); }
}

async function submitHandover(event) {
  event.preventDefault();
  if (!state.shift) { showError("there is no open shift to hand over"); return; }
  const id = $("handover-id").value.trim();
  const done = await guarded(() => api(`${roomPath()}/shifts/${encodeURIComponent(shortName(state.shift.name))}:handOver`,
    { method: "POST", body: { handover_id: id } }));
  if (done) { $("handover-id").value = ""; await loadDutyLog(); }
}

// ---- dossier ---------------------------------------------------------------------------

async function loadSites() {
  if (state.sites.length) return state.sites;
  const reply = await guarded(() => api("/v1/sites?page_size=1000"));
  state.sites = (reply && reply.sites) || [];
  return state.sites;
}

async function openDossier(event) {
  event.preventDefault();
  const number = $("container-number").value.trim().toUpperCase();
  const dossier = await guarded(() => api(`/v1/containers/${encodeURIComponent(number)}`));
  if (!dossier) return;
  $("dossier").hidden = false;
  renderRisk(dossier);
  renderScans(dossier.scanner);
  renderPassages(dossier.camera);
  renderSeal(dossier.seal, await loadSites());
  renderDossierLog(dossier.dutylog);
}

function renderRisk(dossier) {
  const risk = dossier.risk;
  $("risk").className = `risk risk-${risk.level}`;
  $("risk").replaceChildren(
    `${dossier.container_number}: risk ${risk.level}${risk.incomplete ? " (incomplete)" : ""}`,
    el("ul", {}, risk.signals.map((s) => el("li", { class: `signal sev-SEVERITY_${s.severity}` },
      `${s.kind} (${s.source}): ${s.reason}`))));
  $("missing").replaceChildren(...dossier.missing.map((m) =>
    el("li", { "data-service": m.service }, `${m.service} did not answer: ${m.status} ${m.detail}`)));
}

function renderScans(scanner) {
  const box = $("scans");
  if (!scanner) { box.replaceChildren(el("p", { class: "muted" }, "scanner part missing")); return; }
  const hold = scanner.hold || {};
  const parts = [el("p", {}, hold.open_hold ? `Open scan hold: ${(hold.reasons || []).join("; ")}` : "No open scan hold")];
  for (const scan of scanner.scans || []) {
    const width = scan.width || 1000;
    const height = scan.height || 1000;
    const overlay = el("svg:svg", { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none" },
      (scan.findings || []).filter((f) => f.box).map((f) => el("svg:rect", {
        class: "finding", x: f.box.x, y: f.box.y, width: f.box.width, height: f.box.height,
      }, el("svg:title", {}, `${f.kind}: ${f.reason || ""}`))));
    parts.push(el("figure", { class: "scan" },
      el("img", { src: scan.image_uri, alt: `false-colour image of ${scan.name}` }), overlay,
      el("figcaption", {}, `${scan.name} · ${(scan.findings || []).length} findings`)));
  }
  if (!(scanner.scans || []).length) parts.push(el("p", { class: "muted" }, "no scan images"));
  box.replaceChildren(...parts);
}

function renderPassages(camera) {
  const body = $("passages").tBodies[0];
  if (!camera) { body.replaceChildren(el("tr", {}, el("td", { colspan: 5 }, "camera part missing"))); return; }
  body.replaceChildren(...camera.passages.map((p) => el("tr", { "data-passage": p.name },
    el("td", {}, short(p.start_time)),
    el("td", {}, p.lane),
    el("td", {}, p.plate ? p.plate.normalised || p.plate.text : ""),
    el("td", {}, ((p.weight || {}).outcome || "").replace("WEIGHT_OUTCOME_", "")),
    el("td", {}, p.decision
      ? `${(p.decision.action || "").replace("BARRIER_ACTION_", "")} ${(p.decision.reasons || []).map((r) => r.code).join(", ")}`
      : ""))));
}

function renderSeal(seal, sites) {
  const box = $("seal-status");
  if (!seal) box.textContent = "seal part missing";
  else if (!seal.status.sealed) box.textContent = "no seal attached";
  else box.textContent = `${seal.status.seal}: ${(seal.status.state || "").replace("SEAL_STATE_", "")}, ` +
    `${seal.status.intact ? "intact" : "NOT intact"}${(seal.status.reasons || []).length ? " — " + seal.status.reasons.join("; ") : ""}`;
  const track = (seal && seal.track) || {};
  if ((track.problems || []).length) box.append(el("div", { class: "muted" }, `track incomplete: ${track.problems.join("; ")}`));
  if (track.points && track.points.length) box.append(el("div", { class: "muted" }, `${track.points.length} track points, last ${short(track.points[track.points.length - 1].time)}`));
  drawMap($("track-map"), sites, track);
}

// Equirectangular projection of the sites, the corridor and the track onto the SVG box.
function drawMap(svg, sites, track) {
  const points = (track.points || []).map((p) => [p.latitude, p.longitude, p.on_route !== false]);
  const corridor = (track.corridor || []).map((p) => [p.latitude, p.longitude]);
  const marks = sites.filter((s) => s.location).map((s) => [s.location.latitude || 0, s.location.longitude || 0, s.display_name])
    .concat((track.places || []).map((p) => [p.latitude, p.longitude, `${p.role}: ${p.display_name || p.name}`]));
  const all = [...points, ...corridor, ...marks];
  if (!all.length) { svg.replaceChildren(el("svg:text", { x: 10, y: 20, class: "site-label" }, "no sites")); return; }
  const lats = all.map((p) => p[0]);
  const lons = all.map((p) => p[1]);
  const pad = 0.05;
  const [minLat, maxLat] = [Math.min(...lats) - pad, Math.max(...lats) + pad];
  const [minLon, maxLon] = [Math.min(...lons) - pad, Math.max(...lons) + pad];
  const scale = Math.min(380 / (maxLon - minLon), 280 / (maxLat - minLat));
  const xy = (lat, lon) => [10 + (lon - minLon) * scale, 290 - (lat - minLat) * scale];
  const path = (list) => list.map((p, i) => `${i ? "L" : "M"}${xy(p[0], p[1]).map((v) => v.toFixed(1)).join(",")}`).join(" ");
  const nodes = [];
  if (corridor.length) {
    nodes.push(el("svg:path", { class: "corridor", d: path(corridor) }));
    nodes.push(el("svg:path", { class: "planned", d: path(corridor) }));
  }
  if (points.length) nodes.push(el("svg:path", { class: "track", d: path(points) }));
  for (const p of points.filter((q) => !q[2])) {
    const [x, y] = xy(p[0], p[1]);
    nodes.push(el("svg:circle", { class: "off-route", cx: x, cy: y, r: 3 }));
  }
  for (const [lat, lon, name] of marks) {
    const [x, y] = xy(lat, lon);
    nodes.push(el("svg:circle", { class: "site-marker", cx: x, cy: y, r: 4 }, el("svg:title", {}, name)));
    nodes.push(el("svg:text", { class: "site-label", x: x + 6, y: y + 3 }, name));
  }
  svg.replaceChildren(...nodes);
}

function renderDossierLog(dutylog) {
  if (!dutylog) {
    $("dossier-alarms").replaceChildren(el("li", { class: "muted" }, "duty-log part missing"));
    $("dossier-entries").replaceChildren();
    return;
  }
  $("dossier-alarms").replaceChildren(...dutylog.open_alarms.map((a) =>
    el("li", { class: `sev-${a.severity}` }, `open alarm ${a.kind}: ${a.summary}`)));
  $("dossier-entries").replaceChildren(...dutylog.entries.slice().reverse().map(entryItem));
}

// ---- wiring ----------------------------------------------------------------------------

function showView(name) {
  for (const tab of document.querySelectorAll(".tab")) tab.classList.toggle("active", tab.dataset.view === name);
  for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== `view-${name}`;
  if (name === "dutylog") loadDutyLog();
}

function start() {
  const params = new URLSearchParams(location.search);
  if (params.has("token")) {
    state.token = params.get("token");
    history.replaceState(null, "", location.pathname); // do not leave the token in the address bar
  }
  $("token-form").addEventListener("submit", (e) => { e.preventDefault(); useToken($("token").value); $("token").value = ""; });
  $("forget-token").addEventListener("click", () => { sessionStorage.clear(); state.lastEventId = ""; useToken(""); });
  for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => showView(tab.dataset.view));
  $("room").addEventListener("change", () => {
    state.room = $("room").value;
    sessionStorage.setItem("console.room", state.room);
    loadAlarms();
    loadDutyLog();
  });
  $("refresh-alarms").addEventListener("click", loadAlarms);
  $("refresh-entries").addEventListener("click", loadEntries);
  $("entry-form").addEventListener("submit", submitEntry);
  $("handover-form").addEventListener("submit", submitHandover);
  $("open-shift-form").addEventListener("submit", submitOpenShift);
  $("dossier-form").addEventListener("submit", openDossier);
  if (params.has("room")) state.room = params.get("room");
  useToken(state.token);
}

start();
