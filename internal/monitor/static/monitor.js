// Live updates of the operations dashboard: the page works without this
// file; with it, the figures are fetched again whenever the server says,
// over server-sent events, that a dossier changed.
(function () {
  "use strict";
  var body = document.querySelector("[data-live-src]");
  if (!body || !window.EventSource || !window.fetch) {
    return;
  }
  var status = document.querySelector("[data-live-status]");
  var busy = false;
  var again = false;

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  // Replacing the figures under a keyboard or screen-reader user would
  // take their place away: while focus is inside them, wait until it
  // leaves.
  function focusedInside() {
    return document.activeElement && document.activeElement !== body && body.contains(document.activeElement);
  }
  var waiting = false;
  body.addEventListener("focusout", function () {
    setTimeout(function () {
      if (waiting && !focusedInside()) {
        waiting = false;
        refresh();
      }
    }, 0);
  });

  function refresh() {
    if (focusedInside()) {
      waiting = true;
      return;
    }
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch(body.getAttribute("data-live-src"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (res) {
        if (!res.ok) {
          throw new Error("HTTP " + res.status);
        }
        return res.text();
      })
      .then(function (html) {
        body.innerHTML = html;
        body.setAttribute("data-live-version", String(Date.now()));
        var now = new Date();
        var hh = String(now.getHours()).padStart(2, "0");
        var mm = String(now.getMinutes()).padStart(2, "0");
        var ss = String(now.getSeconds()).padStart(2, "0");
        say((status && status.getAttribute("data-live-text")) + " " + hh + ":" + mm + ":" + ss);
      })
      .catch(function () {
        say(status && status.getAttribute("data-live-lost"));
      })
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  var events = new EventSource(body.getAttribute("data-live-events"));
  events.addEventListener("change", refresh);
  events.addEventListener("open", function () {
    body.setAttribute("data-live-connected", "true");
  });
  events.addEventListener("error", function () {
    if (events.readyState === EventSource.CLOSED) {
      say(status && status.getAttribute("data-live-lost"));
    }
  });
})();
