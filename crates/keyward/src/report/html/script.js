// Filters and sorting for the findings table. The filter lives in the
// URL fragment (#category=cloud&confidence=high&rule=...&q=text), so a
// link or a reload shows the same rows; hidden rows carry `hidden`.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var table = document.getElementById("findings");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var keys = ["category", "confidence", "rule", "q"];
  var state = { category: "", confidence: "", rule: "", q: "" };

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
  }

  function writeHash() {
    var params = new URLSearchParams();
    keys.forEach(function (k) { if (state[k]) { params.set(k, state[k]); } });
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

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
    var button = th.querySelector("button");
    if (!button) { return; }
    button.addEventListener("click", function () {
      var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) {
        if (other.hasAttribute("aria-sort")) { other.setAttribute("aria-sort", "none"); }
      });
      th.setAttribute("aria-sort", dir);
      var numeric = th.dataset.type === "num";
      var sign = dir === "ascending" ? 1 : -1;
      var order = rows.slice().sort(function (a, b) {
        var x = sortKey(a, col);
        var y = sortKey(b, col);
        var c = numeric ? Number(x) - Number(y) : x.localeCompare(y);
        return sign * c || Number(a.cells[0].dataset.key) - Number(b.cells[0].dataset.key);
      });
      order.forEach(function (tr) { body.appendChild(tr); });
    });
  });

  if (!/^#f\d+$/.test(location.hash)) { readHash(); }
  apply();
}());
