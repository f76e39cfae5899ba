/* Sutiao coordinator pages: live run progress (polls the JSON API every second and redraws
   the objective/bound chart) and the review table's filter. Served by the app; no outside
   assets. */
(function () {
  "use strict";

  var TERMINAL = ["succeeded", "failed", "cancelled", "published"];
  var W = 560, H = 160, PAD = 8;

  function number(value) {
    if (value === null || value === undefined) { return "\u2014"; }
    return Math.round(value).toLocaleString("en-US");
  }

  function percent(value) {
    if (value === null || value === undefined) { return "\u2014"; }
    return (100 * value).toFixed(2) + "%";
  }

  function points(progress, key, low, high, span) {
    // A step line, as the server draws it: a value holds until the next one replaces it.
    var out = [];
    var previous = null;
    function xy(seconds, value) {
      var x = PAD + (W - 2 * PAD) * seconds / span;
      var y = H - PAD - (H - 2 * PAD) * (value - low) / (high - low);
      return x.toFixed(1) + "," + y.toFixed(1);
    }
    progress.forEach(function (p) {
      if (p[key] === null || p[key] === undefined) { return; }
      if (previous !== null) { out.push(xy(p.seconds || 0, previous)); }
      out.push(xy(p.seconds || 0, p[key]));
      previous = p[key];
    });
    if (out.length === 1) { out.push(out[0]); }  // drawn as a dot (round line caps)
    return out.join(" ");
  }

  function drawChart(svg, progress, minSpan) {
    var usable = progress.filter(function (p) { return p.objective !== null && p.objective !== undefined; });
    if (!usable.length) { return null; }
    var values = [];
    usable.forEach(function (p) {
      values.push(p.objective);
      if (p.bound !== null && p.bound !== undefined) { values.push(p.bound); }
    });
    var low = Math.min.apply(null, values), high = Math.max.apply(null, values);
    if (high === low) { high += 1; low -= 1; }
    var span = Math.max.apply(null, [minSpan].concat(usable.map(function (p) { return p.seconds || 0; }))) || 1;
    svg.querySelector(".co-line-objective").setAttribute("points", points(usable, "objective", low, high, span));
    svg.querySelector(".co-line-bound").setAttribute("points", points(usable, "bound", low, high, span));
    return {low: low, high: high, span: span};
  }

  function setField(root, name, text) {
    var el = root.querySelector('[data-field="' + name + '"]');
    if (el && el.textContent !== text) { el.textContent = text; }
  }

  function watchRun(root) {
    var api = root.getAttribute("data-api");
    var started = root.getAttribute("data-status");
    var labels = JSON.parse(root.getAttribute("data-labels") || "{}");
    var unit = root.getAttribute("data-unit") || "s";
    var minSpan = parseFloat(root.getAttribute("data-span")) || 0;
    var rangeText = root.getAttribute("data-range") || "{low} \u2013 {high}";
    var svg = document.getElementById("run-chart");
    if (TERMINAL.indexOf(started) >= 0) { return; }
    var timer = null;

    function update(run) {
      setField(root, "status", labels[run.status] || run.status);
      var badge = root.querySelector('[data-field="status"]');
      if (badge) { badge.className = "co-status co-status-" + run.status; }
      setField(root, "objective", number(run.objective));
      setField(root, "bound", number(run.bound));
      setField(root, "gap", percent(run.gap));
      var progress = run.progress || [];
      if (progress.length) {
        setField(root, "seconds", progress[progress.length - 1].seconds.toFixed(1) + " " + unit);
      } else if (run.started_at && run.status === "running") {
        var elapsed = (Date.now() - Date.parse(run.started_at)) / 1000;
        if (elapsed >= 0) { setField(root, "seconds", elapsed.toFixed(0) + " " + unit); }
      }
      if (run.heartbeat_at) {
        setField(root, "heartbeat", new Date(run.heartbeat_at).toLocaleTimeString("zh-CN", {hour12: false, timeZone: "Asia/Shanghai"}));
      }
      if (svg) {
        var range = drawChart(svg, progress, minSpan);
        if (range) {
          setField(root, "range", rangeText.replace("{low}", number(range.low))
            .replace("{high}", number(range.high)).replace("{s}", range.span.toFixed(1)));
        }
      }
      if (TERMINAL.indexOf(run.status) >= 0) {
        window.clearInterval(timer);
        // The server renders the result and its links.
        window.location.reload();
      }
    }

    function poll() {
      window.fetch(api, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (run) { if (run) { update(run); } })
        .catch(function () { /* a missed poll is retried a second later */ });
    }

    timer = window.setInterval(poll, 1000);
    poll();
  }

  function filterReview(input) {
    var rows = document.querySelectorAll("tbody[data-case]");
    var counter = document.getElementById("review-shown");
    function apply() {
      var needle = input.value.trim().toLowerCase();
      var shown = 0;
      rows.forEach(function (row) {
        var hit = !needle || row.getAttribute("data-case").toLowerCase().indexOf(needle) >= 0;
        row.hidden = !hit;
        if (hit) { shown += 1; }
      });
      if (counter) { counter.textContent = String(shown); }
    }
    input.addEventListener("input", apply);
  }

  function openFromHash() {
    if (!window.location.hash) { return; }
    var target = document.getElementById(window.location.hash.slice(1));
    if (!target) { return; }
    var details = target.querySelector("details");
    if (details) { details.open = true; }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var live = document.getElementById("run-live");
    if (live) { watchRun(live); }
    var filter = document.getElementById("review-filter");
    if (filter) { filterReview(filter); }
    openFromHash();
  });
}());
