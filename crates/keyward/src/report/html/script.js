// Filters and sorting for the findings table. The filter lives in the
// URL fragment (#category=cloud&confidence=high&rule=...&q=text), so a
// link or a reload shows the same rows; hidden rows carry `hidden`. So
// does the order: sort=introduced, or sort=-introduced for descending.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var table = document.getElementById("findings");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var keys = ["category", "confidence", "rule", "q"];
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var state = { category: "", confidence: "", rule: "", q: "", sort: "" };

  function readHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    keys.forEach(function (k) {
      state[k] = params.get(k) || "";
      var field = form.elements[k];
      if (field.tagName === "SELECT" && state[k] &&
          !Array.prototype.some.call(field.options, function (o) { return o.value === state[k]; })) {
        field.add(new Option(state[k], state[k]));
      }
      field.value = state[k];
    });
    state.sort = params.get("sort") || "";
    sortBy(state.sort);
  }

  function writeHash() {
    var params = new URLSearchParams();
    keys.concat(["sort"]).forEach(function (k) { if (state[k]) { params.set(k, state[k]); } });
    var hash = params.toString();
    history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
  }

  function apply() {
    var q = state.q.toLowerCase();
    var shown = 0;
    rows.forEach(function (tr) {
      var ok = (!state.category || tr.dataset.category === state.category) &&
        (!state.confidence || tr.dataset.confidence === state.confidence) &&
        (!state.rule || tr.dataset.rule === state.rule) &&
        (!q || tr.textContent.toLowerCase().indexOf(q) !== -1);
      tr.hidden = !ok;
      if (ok) { shown += 1; }
      var bar = document.querySelector('#timeline li[data-for="' + tr.id + '"]');
      if (bar) { bar.hidden = !ok; }
    });
    document.getElementById("shown").textContent = shown + " of " + rows.length;
    document.getElementById("none-shown").hidden = shown !== 0;
  }

  form.addEventListener("input", function () {
    keys.forEach(function (k) { state[k] = form.elements[k].value; });
    writeHash();
    apply();
  });
  form.addEventListener("reset", function () {
    setTimeout(function () {
      keys.forEach(function (k) { state[k] = ""; });
      writeHash();
      apply();
    }, 0);
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  window.addEventListener("hashchange", function () {
    if (/^#f\d+$/.test(location.hash)) { return; }
    readHash();
    apply();
  });

  function sortKey(tr, col) {
    var cell = tr.cells[col];
    return cell.hasAttribute("data-key") ? cell.getAttribute("data-key") : cell.textContent.trim();
  }

  // Sorts by the column named in `spec` (a leading `-` for descending);
  // an empty or unknown name restores the report's order.
  function sortBy(spec) {
    var descending = spec.charAt(0) === "-";
    var name = descending ? spec.slice(1) : spec;
    var col = -1;
    headers.forEach(function (th, i) {
      if (!th.hasAttribute("aria-sort")) { return; }
      var on = th.dataset.name === name;
      th.setAttribute("aria-sort", on ? (descending ? "descending" : "ascending") : "none");
      if (on) { col = i; }
    });
    var numeric = col >= 0 && headers[col].dataset.type === "num";
    var sign = descending ? -1 : 1;
    var order = rows.slice().sort(function (a, b) {
      var c = 0;
      if (col >= 0) {
        var x = sortKey(a, col);
        var y = sortKey(b, col);
        c = sign * (numeric ? Number(x) - Number(y) : x.localeCompare(y));
      }
      return c || Number(a.cells[0].dataset.key) - Number(b.cells[0].dataset.key);
    });
    order.forEach(function (tr) { body.appendChild(tr); });
  }

  headers.forEach(function (th) {
    var button = th.querySelector("button");
    if (!button) { return; }
    button.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      state.sort = (ascending ? "" : "-") + th.dataset.name;
      writeHash();
      sortBy(state.sort);
    });
  });

  if (!/^#f\d+$/.test(location.hash)) { readHash(); }
  apply();
}());
