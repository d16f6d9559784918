// Kosmos status dashboard: reads the REST API v1 with the user's credentials and
// refreshes every 2 s. No build step, no dependencies.
"use strict";

const API = location.pathname.replace(/\/dashboard\/.*$/, "") + "/v1";
const params = new URLSearchParams(location.search);
const creds = {
  project: params.get("project") || localStorage.getItem("kosmos.project") || "",
  token: sessionStorage.getItem("kosmos.token") || "",
};
let selected = params.get("gslb") || null;

function headers() {
  if (creds.token) return { "X-Auth-Token": creds.token };
  return { "X-Project-Id": creds.project, "X-Roles": "reader" };
}

async function get(path) {
  const resp = await fetch(API + path, { headers: headers() });
  const body = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const err = body.error || {};
    throw new Error(`${resp.status} ${err.type || ""}: ${err.message || resp.statusText} (GET ${path})`);
  }
  return body;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) node.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return node;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleTimeString() : "";
}

function gslbRow(g) {
  const ft = g.failover_time ? `${g.failover_time.worst_case_s} s` : "—";
  const name = el("button", { class: "link", type: "button", onclick: () => { selected = g.id; refresh(); } },
                  g.fqdn);
  return el("tr", { "data-gslb": g.id, class: g.id === selected ? "selected" : "" },
    el("td", {}, name),
    el("td", { class: "answer" }, (g.answers || []).join(", ") || "(none)"),
    el("td", {}, g.routing || "PRIORITY"),
    el("td", { class: g.operating_status }, g.operating_status),
    el("td", { class: g.publish_status, title: g.publish_reason || "" }, g.publish_status),
    el("td", {}, ft));
}

function matrix(status) {
  const regions = [...new Set(status.pools.flatMap(p => p.members.flatMap(m => m.regions.map(r => r.region))))].sort();
  const table = el("table", { class: "matrix" },
    el("caption", {}, "Health by member and checker region (verdict, last reason, latency)"),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Member"), el("th", { scope: "col" }, "Status"),
      regions.map(r => el("th", { scope: "col" }, r)))));
  const body = el("tbody");
  for (const pool of status.pools) {
    for (const m of pool.members) {
      const address = (m.member.endpoints && m.member.endpoints.length ? m.member.endpoints : [m.member.address]).join(" ");
      const cells = regions.map(region => {
        const v = m.regions.filter(x => x.region === region);
        if (!v.length) return el("td", {}, "—");
        const worst = v.find(x => x.verdict === "DOWN") || v.find(x => x.verdict === "UNKNOWN") || v[0];
        const latency = worst.last_latency_ms != null ? ` · ${Math.round(worst.last_latency_ms)} ms` : "";
        return el("td", { class: `${worst.verdict}${worst.fresh ? "" : " stale"}`, "data-region": region,
                          title: `checked ${when(worst.last_checked_at)}${worst.fresh ? "" : " (stale)"}` },
          worst.verdict, el("br"), el("small", {}, `${worst.last_reason || ""}${latency}`));
      });
      body.append(el("tr", { "data-member": address },
        el("th", { scope: "row" }, `${address}:${m.member.port} (pool ${pool.priority})`),
        el("td", { class: m.operating_status, title: m.status_reason || "" }, m.operating_status), cells));
    }
  }
  table.append(body);
  return table;
}

function timeline(history) {
  const list = el("ol", { class: "timeline" });
  for (const e of history) {
    list.append(el("li", {},
      el("details", {},
        el("summary", {}, `${when(e.time)} ${e.subject.type}: ${e.from} → ${e.to} — ${e.reason || ""}`),
        el("pre", {}, JSON.stringify(e.evidence, null, 2)))));
  }
  return list;
}

async function showDetail(g) {
  const [status, history] = await Promise.all([get(`/gslbs/${g.id}/status`), get(`/gslbs/${g.id}/history?limit=50`)]);
  const detail = document.getElementById("detail");
  detail.replaceChildren(
    el("h2", {}, g.fqdn),
    el("p", {}, `Answer: `, el("strong", { class: "answer" }, (status.answers || []).join(", ") || "(none)"),
      ` · ${g.routing || "PRIORITY"} · changed ${when(status.answers_changed_at)}`),
    el("h3", {}, "Members"), matrix(status),
    el("h3", {}, "Changes (newest first; open one for its evidence)"), timeline(history.history || []));
}

async function refresh() {
  const state = document.getElementById("state");
  if (!creds.project && !creds.token) {
    state.textContent = "Enter a project (runner) or a Keystone token.";
    return;
  }
  try {
    const page = await get("/gslbs?limit=200");
    const gslbs = page.gslbs || [];
    document.querySelector("#gslbs tbody").replaceChildren(...gslbs.map(gslbRow));
    const current = gslbs.find(g => g.id === selected) || gslbs[0];
    if (current) { selected = current.id; await showDetail(current); }
    state.className = "";
    state.textContent = `${gslbs.length} GSLB(s) · updated ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    state.className = "error";
    state.textContent = err.message;
  }
}

document.getElementById("project").value = creds.project;
document.getElementById("who").addEventListener("submit", ev => {
  ev.preventDefault();
  creds.project = document.getElementById("project").value.trim();
  creds.token = document.getElementById("token").value.trim();
  localStorage.setItem("kosmos.project", creds.project);
  sessionStorage.setItem("kosmos.token", creds.token);
  refresh();
});
refresh();
setInterval(refresh, 2000);
