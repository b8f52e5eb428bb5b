/* Polls small JSON progress views for long work (forecast runs, imports) and updates the page;
   reloads once the work has finished so the results show. No request ever waits on the work. */
(function () {
  "use strict";
  var INTERVAL_MS = 2000;

  function poll(el) {
    fetch(el.dataset.progressUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) {
        var bar = el.querySelector("progress");
        if (bar && data.progress !== null && data.progress !== undefined) bar.value = data.progress;
        var status = el.querySelector("[data-status]");
        if (status) status.textContent = data.status_label + (data.n_shards ? " · " + data.shards_done + " of " + data.n_shards + " shards" : "");
        var line = el.querySelector("[data-line]");
        if (line && data.line) line.textContent = data.line;
        if (data.finished) { window.location.reload(); return; }
        setTimeout(function () { poll(el); }, INTERVAL_MS);
      })
      .catch(function () { setTimeout(function () { poll(el); }, INTERVAL_MS * 3); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-progress-url]").forEach(function (el) { setTimeout(function () { poll(el); }, INTERVAL_MS); });
  });
})();
