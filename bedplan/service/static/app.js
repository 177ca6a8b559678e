/* bedplan page scripts: plain JavaScript, no build step, started by <body data-page="...">
   (no inline script: the page runs under script-src 'self'). Text is always set with
   textContent (never innerHTML), and map tooltips get DOM nodes, never HTML strings, so ids
   and names cannot inject markup. */
"use strict";
var bedplan = (function () {
  function csrf() { return document.querySelector('meta[name="csrf-token"]').content; }

  async function api(method, path, body) {
    var opts = { method: method, headers: { "X-CSRF-Token": csrf() }, credentials: "same-origin" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    var r = await fetch(path, opts);
    var data = null;
    try { data = await r.json(); } catch (e) { data = { detail: "unexpected answer (" + r.status + ")" }; }
    if (r.status === 401) { window.location = "/login?next=" + encodeURIComponent(location.pathname); }
    return { ok: r.ok, status: r.status, data: data };
  }

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }

  function km(x) { return x === null || x === undefined ? "unreachable" : x.toFixed(1) + " km"; }
  function say(text, bad) {
    var s = document.getElementById("status");
    s.textContent = text; s.className = "status" + (bad ? " error" : "");
  }

  // ------------------------------------------------------------------ find a bed
  function suggestPage() {
    var form = document.getElementById("ask");
    var last = null, map = null, layer = null;
    form.addEventListener("change", function () {
      var isNew = form.querySelector('input[name="mode"]:checked').value === "new";
      document.getElementById("newref").hidden = !isNew;
      document.getElementById("patient").disabled = isNew;
    });
    form.addEventListener("submit", async function (ev) {
      ev.preventDefault();
      var body = { allow_moves: parseInt(document.getElementById("allow_moves").value, 10), top: 5 };
      if (form.querySelector('input[name="mode"]:checked').value === "new") {
        var r = {
          service: val("r_service"), level: val("r_level"), sex: val("r_sex"),
          age: parseInt(val("r_age"), 10)
        };
        if (val("r_postcode")) r.home_postcode = val("r_postcode");
        if (val("r_network")) r.home_network_id = val("r_network");
        if (val("r_needs")) r.needs = val("r_needs").split(/[;, ]+/).filter(Boolean);
        if (val("r_legal")) r.legal_status = val("r_legal");
        body.referral = r;
      } else {
        if (!val("patient")) { say("There is no referral to choose.", true); return; }
        body.patient_id = val("patient");
      }
      say("Looking for beds…");
      var res = await api("POST", "/api/suggestions", body);
      if (!res.ok) { say(res.data.detail, true); return; }
      last = { request: body, answer: res.data };
      say("");
      show(res.data);
    });

    function val(id) { return document.getElementById(id).value.trim(); }

    function unitLabel(u, id) { return u ? (u.name || id) : id; }
    // the ward's id, provider type and function (contract 1.2), as a bed manager reads them
    function unitDetail(u, id) {
      var bits = [id];
      if (u && u.provider_type) bits.push(u.provider_type);
      if (u && u.ward_function) bits.push(u.ward_function);
      return el("div", { cls: "small muted", text: bits.join(" · ") });
    }
    function network(u) { return u ? (u.network_name || u.network_id) : ""; }

    function show(d) {
      document.getElementById("empty").hidden = true;
      document.getElementById("result").hidden = false;
      var p = d.patient;
      document.getElementById("rtitle").textContent = p.patient_id + " · " + p.service.replace("_", " ") +
        " " + p.level + " · " + p.sex + " " + p.age + (p.needs.length ? " · needs " + p.needs.join(", ") : "") +
        " · " + p.home_network_id + (p.legal_status ? " · " + p.legal_status : "");
      document.getElementById("notes").textContent = (d.notes || []).join(" ");
      var tb = document.querySelector("#options tbody");
      tb.replaceChildren();
      d.options.forEach(function (o) {
        var u = d.units[o.unit_id];
        var reason = el("input", { placeholder: "why (optional)", "aria-label": "Reason for " + o.unit_id, cls: "reason" });
        var btn = el("button", { text: "Accept", cls: "accept", "data-unit": o.unit_id });
        btn.addEventListener("click", function () { accept(o, reason.value, btn); });
        var moves = o.moves.length ? el("div", { cls: "small muted", text: "after moving " + o.moves.map(function (m) {
          return m.patient_id + " " + m.from + "→" + m.to; }).join(", ") }) : null;
        tb.appendChild(el("tr", { "data-unit": o.unit_id }, [
          el("td", { text: String(o.rank) }),
          el("td", {}, [el("a", { href: "/census/" + encodeURIComponent(o.unit_id), text: unitLabel(u, o.unit_id) }),
                        unitDetail(u, o.unit_id), moves]),
          el("td", {}, [network(u), o.out_of_area ? el("span", { cls: "badge warn", text: "out of area" }) : el("span", { cls: "badge ok", text: "in area" })]),
          el("td", { cls: "num", text: km(o.distance_km) }),
          el("td", { cls: "num", text: u ? u.free + " of " + u.open_beds : "" }),
          el("td", { cls: "num", text: o.cost.toFixed(1) }),
          el("td", {}, [reason, btn])
        ]));
      });
      document.getElementById("options").hidden = d.options.length === 0;
      document.getElementById("nooptions").hidden = d.options.length > 0;
      var rb = document.querySelector("#rejected tbody");
      rb.replaceChildren();
      var other = d.rejected.filter(function (r) { var u = d.units[r.unit_id]; return u && u.service !== p.service; });
      d.rejected.forEach(function (r) {
        var u = d.units[r.unit_id];
        var elsewhere = u && u.service !== p.service;
        rb.appendChild(el("tr", elsewhere ? { cls: "other-service", hidden: "" } : {}, [
          el("td", {}, [unitLabel(u, r.unit_id), unitDetail(u, r.unit_id)]),
          el("td", { text: network(u) }),
          el("td", { cls: "num", text: km(r.distance_km) }),
          el("td", {}, [el("ul", { cls: "reasons" }, r.reasons.map(function (t) { return el("li", { text: t }); }))])
        ]));
      });
      if (other.length) {
        var toggle = el("button", { type: "button", cls: "link-dark", text: "show " + other.length +
          " nearer ward(s) of other services (" + p.service.replace("_", " ") + " needed)" });
        toggle.addEventListener("click", function () {
          rb.querySelectorAll("tr.other-service").forEach(function (tr) { tr.hidden = false; });
          toggle.closest("tr").remove();
        });
        rb.appendChild(el("tr", {}, [el("td", { colspan: "4" }, [toggle])]));
      }
      if (d.rejected.length === 0) rb.appendChild(el("tr", {}, [el("td", { colspan: "4", cls: "muted", text: "No nearer unit: the first option is the nearest." })]));
      drawMap(d);
    }

    function drawMap(d) {
      var note = document.getElementById("mapnote");
      if (typeof L === "undefined") { document.getElementById("map").hidden = true; note.hidden = false; return; }
      note.hidden = true;  // markers are drawn even when the tiles cannot be fetched
      if (!map) {
        map = L.map("map");
        var tiles = document.body.dataset.tiles;  // the server's --map-tiles ("" for none)
        if (tiles) L.tileLayer(tiles, { maxZoom: 18, attribution: "© OpenStreetMap contributors" }).addTo(map);
      }
      if (layer) layer.remove();
      layer = L.featureGroup().addTo(map);
      var p = d.patient;
      // Leaflet puts a string tooltip in as HTML: give it a text node's element instead
      function tip(text) { return el("span", { text: text }); }
      L.circleMarker([p.home_lat, p.home_lon], { radius: 8, color: "#1f4e99", fillOpacity: 0.9 })
        .bindTooltip(tip("home area of " + p.patient_id)).addTo(layer);
      d.rejected.forEach(function (r) {
        var u = d.units[r.unit_id]; if (!u) return;
        L.circleMarker([u.lat, u.lon], { radius: 5, color: "#999", fillOpacity: 0.5 })
          .bindTooltip(tip((u.name || r.unit_id) + ": " + r.reasons.join("; "))).addTo(layer);
      });
      d.options.forEach(function (o) {
        var u = d.units[o.unit_id]; if (!u) return;
        L.circleMarker([u.lat, u.lon], { radius: 9, color: "#1a7f37", fillOpacity: 0.8 })
          .bindTooltip(tip("#" + o.rank + " " + (u.name || o.unit_id) + " · " + km(o.distance_km))).addTo(layer);
      });
      map.fitBounds(layer.getBounds().pad(0.2));
    }

    async function accept(o, reason, btn) {
      // The accept states what the suggestion saw: a referral to admit, or an inpatient to
      // move from their ward; if the census changed since, the answer is 409.
      var q = last.request, seen = last.answer.patient, body = { unit_id: o.unit_id, reason: reason,
        suggestion_id: last.answer.suggestion_id,
        moves: o.moves.map(function (m) { return { patient_id: m.patient_id, from: m.from, to: m.to }; }) };
      if (q.referral) {
        body.referral = q.referral;  // admitted under the id the suggestion gave it
      } else {
        body.patient_id = q.patient_id;
        if (seen.status === "inpatient") { body.action = "move"; body.from = seen.current_unit_id; }
      }
      btn.disabled = true;
      var res = await api("POST", "/api/accept", body);
      if (!res.ok) { btn.disabled = false; say(res.data.detail, true); return; }
      var d = res.data;
      say((d.action === "admit" ? "Admitted " : "Moved ") + d.patient_id + " to " + d.unit_id +
          " (recorded as audit event " + d.audit_id + ").");
      document.querySelectorAll("button.accept").forEach(function (b) { b.disabled = true; });
      btn.textContent = "Accepted";
      btn.closest("tr").className = "accepted";
      var opt = document.querySelector('#patient option[value="' + CSS.escape(d.patient_id) + '"]');
      if (opt) opt.remove();
    }
  }

  // ------------------------------------------------------------------ planner
  var ROWS = [["placed", "placed", 0], ["unplaced", "unplaced", 0], ["moves", "moves", 0],
    ["out_of_area", "out of area", 0], ["delayed", "delayed stays", 0], ["total_km", "total km", 1],
    ["median_km", "median km", 1], ["cost_per_day", "cost per day (GBP)", 2]];

  function fmt(v, digits) {
    if (v === null || v === undefined) return "–";
    return Number(v).toLocaleString("en-GB", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  function signed(v, digits) {
    if (v === null || v === undefined) return "–";
    if (v === 0) return "0";
    return (v > 0 ? "+" : "") + fmt(v, digits);
  }

  function plannerPage() {
    var out = document.getElementById("result");
    document.getElementById("scenario").addEventListener("submit", function (ev) {
      ev.preventDefault(); run("scenario");
    });
    document.getElementById("reallocate").addEventListener("click", function () { run("reallocate"); });
    document.getElementById("planform").addEventListener("submit", function (ev) {
      ev.preventDefault(); run("plan");
    });
    listJobs();

    async function run(kind) {
      var body = { kind: kind };
      if (kind === "plan") {
        body.start = document.getElementById("plan_start").value;
        body.nights = parseInt(document.getElementById("plan_nights").value, 10);
        var pn = document.getElementById("plan_network").value;
        if (pn) body.network = pn;
      } else {
        body.time_limit = parseFloat(document.getElementById("time_limit").value) || 60;
        var net = document.getElementById("network").value;
        if (net) body.network = net;
      }
      if (kind === "scenario") body.changes = document.getElementById("changes").value;
      say("Submitting…");
      var res = await api("POST", "/api/jobs", body);
      if (!res.ok) { say(res.data.detail, true); return; }
      listJobs();
      poll(res.data.id);
    }

    async function poll(id) {
      var res = await api("GET", "/api/jobs/" + encodeURIComponent(id));
      if (!res.ok) { say(res.data.detail, true); return; }
      var j = res.data;
      if (j.status === "queued" || j.status === "running") {
        say("Running " + j.kind + ": " + j.progress);
        setTimeout(function () { poll(id); }, 1000);
        return;
      }
      listJobs();
      if (j.status === "failed") { say(j.kind + " failed: " + j.error, true); return; }
      say(j.kind + " done.");
      if (j.kind === "scenario") comparison(j.result.comparison);
      else if (j.kind === "plan") planResult(j);
      else summary(j.result);
    }

    async function listJobs() {
      var res = await api("GET", "/api/jobs");
      var tb = document.querySelector("#jobs tbody");
      if (!res.ok) return;
      tb.replaceChildren();
      res.data.jobs.slice(0, 10).forEach(function (j) {
        var p = j.params || {};
        var what = j.kind + (j.kind === "plan" ? " · " + p.nights + " nights from " + p.start : "") +
          " · " + (p.network || "all of England");
        var btn = el("button", { type: "button", cls: "link-dark", text: "show", "data-job": j.id });
        btn.addEventListener("click", function () { poll(j.id); });
        tb.appendChild(el("tr", {}, [
          el("td", {}, [what, el("div", { cls: "small muted", text: j.status + " · " + j.created_by + " · " +
            (j.created_at || "").slice(0, 16).replace("T", " ") })]),
          el("td", {}, [btn])]));
      });
      if (!res.data.jobs.length) tb.appendChild(el("tr", {}, [el("td", { cls: "muted", text: "No jobs yet." })]));
    }

    function comparison(c) {
      var t = el("table", { cls: "list", id: "comparison" }, [
        el("thead", {}, [el("tr", {}, [el("th", { text: "" }), el("th", { cls: "num", text: "baseline" }),
          el("th", { cls: "num", text: "scenario" }), el("th", { cls: "num", text: "change" })])])]);
      var tb = el("tbody");
      tb.appendChild(el("tr", {}, [el("td", { text: "status" }), el("td", { cls: "num", text: c.baseline.status }),
        el("td", { cls: "num", text: c.scenario.status }), el("td", { text: "" })]));
      tb.appendChild(el("tr", {}, [el("td", { text: "objective" }), el("td", { cls: "num", text: fmt(c.baseline.objective, 1) }),
        el("td", { cls: "num", text: fmt(c.scenario.objective, 1) }), el("td", { cls: "num", text: signed(c.delta.objective, 1) })]));
      ROWS.forEach(function (r) {
        tb.appendChild(el("tr", {}, [el("td", { text: r[1] }),
          el("td", { cls: "num", text: fmt(c.baseline.metrics[r[0]], r[2]) }),
          el("td", { cls: "num", text: fmt(c.scenario.metrics[r[0]], r[2]) }),
          el("td", { cls: "num", text: signed(c.delta.metrics[r[0]], r[2]) })]));
      });
      t.appendChild(tb);
      out.className = ""; out.replaceChildren(el("h2", { text: "Baseline and scenario" }), t);
    }

    function summary(r) {
      var s = r.summary, m = s.metrics;
      var t = el("table", { cls: "list", id: "summary" }, [el("tbody", {}, [
        ["status", s.status], ["objective", fmt(s.objective, 1)], ["placed", fmt(m.placed, 0)],
        ["unplaced", fmt(m.unplaced, 0)], ["moves", fmt(m.moves, 0)], ["out of area", fmt(m.out_of_area, 0)],
        ["total km", fmt(m.total_km, 1)], ["median km", fmt(m.median_km, 1)]
      ].map(function (row) { return el("tr", {}, [el("td", { text: row[0] }), el("td", { cls: "num", text: String(row[1]) })]); }))]);
      var list = el("ul", {}, r.changes.slice(0, 50).map(function (c) {
        return el("li", { text: c.patient_id + ": " + c.action + (c.from ? " from " + c.from : "") + " to " + c.to + " (" + km(c.distance_km) + " from home)" });
      }));
      out.className = "";
      out.replaceChildren(el("h2", { text: "Tonight's reallocation (a proposal: nothing is changed)" }), t,
        el("h3", { text: r.changes_total + " admissions and moves" }), list);
    }

    // -------------------------------------------------------------- a plan over several nights
    function table(id, head, rows) {
      return el("table", { cls: "list", id: id }, [
        el("thead", {}, [el("tr", {}, head.map(function (h) { return el("th", { cls: h[1] ? "num" : "", text: h[0] }); }))]),
        el("tbody", {}, rows.map(function (r) {
          return el("tr", {}, r.map(function (c, i) { return el("td", { cls: head[i][1] ? "num" : "" }, [c]); }));
        }))]);
    }

    function planResult(j) {
      var r = j.result, s = r.summary, m = s.metrics;
      var scope = r.network || "all of England";
      var head = el("h2", { text: "Plan over " + s.nights + " nights from " + s.start + " · " + scope +
        " (a proposal: nothing is changed)" });
      var bound = s.gap === null || s.gap === undefined ? "–" : fmt(s.bound, 1) + " (gap " + fmt(100 * s.gap, 2) + "%)";
      var kpis = table("plan-summary", [["", 0], ["", 1]], [
        ["status", s.status], ["objective", fmt(s.objective, 1)], ["bound", bound],
        ["patients brought home", fmt(m.brought_home, 0)], ["moves", fmt(m.moves, 0)],
        ["admissions", fmt(m.admissions, 0)],
        ["out of area", fmt(m.out_of_area_first_night, 0) + " on night 1 → " + fmt(m.out_of_area_last_night, 0) + " on night " + s.nights],
        ["referral nights waiting", fmt(m.waiting_nights, 0)],
        ["unplaced / arriving after the plan", fmt(m.unplaced, 0) + " / " + fmt(m.later, 0)]]);
      kpis.querySelector("thead").remove();
      var parts = [head, kpis];
      if (s.diagnosis && s.diagnosis.length) {
        parts.push(el("ul", { cls: "error" }, s.diagnosis.map(function (d) { return el("li", { text: d }); })));
      }
      if (r.nights.length) {
        parts.push(el("h3", { text: "Night by night" }), planChart(r.nights, r.weeks));
        parts.push(el("details", {}, [el("summary", { text: "the figures of every night" }),
          table("plan-nights", [["night", 1], ["date", 0], ["out of area", 1], ["referrals waiting", 1],
            ["moves", 1], ["admissions", 1], ["discharges", 1], ["in a bed", 1]],
            r.nights.map(function (n) {
              return [String(n.night), n.date, fmt(n.out_of_area, 0), fmt(n.waiting, 0), fmt(n.moves, 0),
                fmt(n.admissions, 0), fmt(n.discharges, 0), fmt(n.present, 0)];
            }))]));
        parts.push(el("h3", { text: "Week by week" }), table("plan-weeks",
          [["week", 1], ["nights", 0], ["brought home", 1], ["moves", 1], ["admissions", 1],
           ["discharges", 1], ["out of area (last night)", 1], ["waiting (last night)", 1]],
          r.weeks.map(function (w) {
            return [String(w.week), el("span", { cls: "nowrap", text: w.from + " – " + w.to }), fmt(w.brought_home, 0), fmt(w.moves, 0),
              fmt(w.admissions, 0), fmt(w.discharges, 0), fmt(w.out_of_area, 0), fmt(w.waiting, 0)];
          })));
      }
      parts.push(el("h3", { text: "Schedule, week by week" }));
      parts = parts.concat(planSchedule(r));
      var files = ["plan.csv", "nights.csv", "schedule.csv", "summary.json"].map(function (f) {
        return el("a", { href: "/api/jobs/" + encodeURIComponent(j.id) + "/files/" + f, text: f });
      });
      var dl = el("p", { cls: "muted small" }, ["Files: "]);
      files.forEach(function (a, i) { if (i) dl.appendChild(document.createTextNode(" · ")); dl.appendChild(a); });
      parts.push(dl);
      out.className = "";
      out.replaceChildren.apply(out, parts);
    }

    function unitText(r, id) {
      if (!id) return "temporary bed";
      var u = r.units[id];
      return (u && u.name ? u.name : id) + " (" + (u ? u.network_id : "") + ")";
    }

    function planSchedule(r) {
      if (!r.schedule.length) return [el("p", { cls: "muted", text: "No moves or admissions in this plan." })];
      var parts = [];
      if (r.schedule_total > r.schedule.length) {
        parts.push(el("p", { cls: "muted", text: "The first " + r.schedule.length + " of " + r.schedule_total +
          " steps; schedule.csv has them all." }));
      }
      r.weeks.forEach(function (w) {
        var steps = r.schedule.filter(function (x) { return x.week === w.week; });
        if (!steps.length) return;
        parts.push(el("h4", { text: "Week " + w.week + " · " + w.from + " – " + w.to + " · " + steps.length +
          " step(s), " + w.brought_home + " brought home" }));
        parts.push(table("plan-week-" + w.week, [["night", 0], ["step", 1], ["patient", 0], ["what", 0],
          ["from", 0], ["to", 0], ["km from home", 1]], steps.map(function (x) {
            var what = el("span", { text: x.kind + (x.cycle !== null ? " (cycle " + x.cycle + ")" : "") });
            var who = el("span", {}, [x.patient_id, el("div", { cls: "small muted", text: "home " + (x.home_network_id || "") })]);
            var to = el("span", {}, [unitText(r, x.to)]);
            if (x.brought_home) to.appendChild(el("span", { cls: "badge ok", text: "home" }));
            return [x.date + " (" + x.night + ")", String(x.step), who, what,
              x.from ? unitText(r, x.from) : (x.kind === "admit" ? "referral" : "temporary bed"), to,
              (x.km_before === null ? "" : fmt(x.km_before, 1) + " → ") + (x.km_after === null ? "" : fmt(x.km_after, 1))];
          })));
      });
      return parts;
    }
  }

  // ------------------------------------------------------------------ the plan's chart (SVG)
  var SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // Three panels drawn from the job's numbers (SVG attributes, no style: the page's CSP):
  // out-of-area patients per night, patients brought home per week, referrals waiting per night.
  function planChart(nights, weeks) {
    var W = 300, H = 200, L = 40, R = 10, T = 28, B = 32;
    var root = svg("svg", { viewBox: "0 0 " + (3 * W) + " " + H, id: "plan-chart", role: "img",
      "aria-label": "out-of-area patients per night, patients brought home per week, referrals waiting per night" });
    root.classList.add("chart");
    function panel(i, title, xs, ys, bars, xlabel) {
      var g = svg("g", { transform: "translate(" + (i * W) + ",0)", "data-panel": title });
      var top = Math.max.apply(null, ys.concat([1]));
      var pw = W - L - R, ph = H - T - B;
      function x(k) { return L + (xs.length === 1 ? pw / 2 : (bars ? (k + 0.5) * pw / xs.length : k * pw / (xs.length - 1))); }
      function y(v) { return T + ph - v / top * ph; }
      g.appendChild(svg("text", { x: L, y: 14, "font-size": 12, "font-weight": 600, fill: "#1d2733" }, title));
      g.appendChild(svg("line", { x1: L, y1: T + ph, x2: L + pw, y2: T + ph, stroke: "#5c6b7a" }));
      g.appendChild(svg("line", { x1: L, y1: T, x2: L, y2: T + ph, stroke: "#5c6b7a" }));
      [0, top].forEach(function (v) {
        g.appendChild(svg("text", { x: L - 4, y: y(v) + 4, "font-size": 10, "text-anchor": "end", fill: "#5c6b7a" }, String(v)));
        if (v) g.appendChild(svg("line", { x1: L, y1: y(v), x2: L + pw, y2: y(v), stroke: "#d9e0e7" }));
      });
      var ticks = bars && xs.length <= 14 ? xs.map(function (_v, k) { return k; }) : [0, xs.length - 1];
      ticks.forEach(function (k) {
        g.appendChild(svg("text", { x: x(k), y: T + ph + 14, "font-size": 10, "text-anchor": "middle", fill: "#5c6b7a" }, String(xs[k])));
      });
      g.appendChild(svg("text", { x: L + pw / 2, y: H - 4, "font-size": 10, "text-anchor": "middle", fill: "#5c6b7a" }, xlabel));
      if (bars) {
        var bw = Math.min(36, Math.max(2, 0.6 * pw / xs.length));
        ys.forEach(function (v, k) {
          g.appendChild(svg("rect", { x: x(k) - bw / 2, y: y(v), width: bw, height: T + ph - y(v), fill: "#1a7f37",
            "data-value": v }, undefined)).appendChild(svg("title", {}, xlabel + " " + xs[k] + ": " + v));
        });
      } else {
        g.appendChild(svg("polyline", { fill: "none", stroke: "#1f4e99", "stroke-width": 2,
          points: ys.map(function (v, k) { return x(k) + "," + y(v); }).join(" ") }));
        ys.forEach(function (v, k) {
          g.appendChild(svg("circle", { cx: x(k), cy: y(v), r: 2.5, fill: "#1f4e99", "data-value": v }))
            .appendChild(svg("title", {}, xlabel + " " + xs[k] + ": " + v));
        });
      }
      root.appendChild(g);
    }
    var xs = nights.map(function (n) { return n.night; });
    panel(0, "out-of-area patients per night", xs, nights.map(function (n) { return n.out_of_area; }), false, "night");
    panel(1, "patients brought home per week", weeks.map(function (w) { return w.week; }),
      weeks.map(function (w) { return w.brought_home; }), true, "week");
    panel(2, "referrals waiting per night", xs, nights.map(function (n) { return n.waiting; }), false, "night");
    return root;
  }

  var pages = { suggest: suggestPage, planner: plannerPage };
  document.addEventListener("DOMContentLoaded", function () {
    var start = pages[document.body.dataset.page];
    if (start) start();
  });
  return { suggestPage: suggestPage, plannerPage: plannerPage, api: api };
})();
