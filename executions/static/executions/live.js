// Keep a part of an admin page up to date: every [data-live-url] element is replaced by the HTML
// fragment its URL serves, every data-live-interval ms, until the fragment says the run has ended
// (X-Finished: 1). Plain JS, no dependency; polling pauses while the tab is hidden.
(function () {
  "use strict";

  function follow(element) {
    var url = element.dataset.liveUrl;
    var interval = parseInt(element.dataset.liveInterval || "1000", 10);
    if (element.dataset.finished === "1") {
      return;
    }
    function schedule() {
      window.setTimeout(poll, interval);
    }
    function poll() {
      if (document.hidden) {
        schedule();
        return;
      }
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "XMLHttpRequest" } })
        .then(function (response) {
          if (response.redirected) {
            // Signed out meanwhile (sent to the login page): stop rather than show that page here.
            return { html: null, finished: true };
          }
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.text().then(function (html) {
            return { html: html, finished: response.headers.get("X-Finished") === "1" };
          });
        })
        .then(function (result) {
          if (result.html === null) {
            return;
          }
          var open = {};
          element.querySelectorAll("details[data-key]").forEach(function (details) {
            open[details.dataset.key] = details.open;
          });
          element.innerHTML = result.html;
          element.querySelectorAll("details[data-key]").forEach(function (details) {
            if (open[details.dataset.key]) {
              details.open = true;
            }
          });
          element.dataset.finished = result.finished ? "1" : "0";
          element.dispatchEvent(new CustomEvent("live:updated", { bubbles: true }));
          if (!result.finished) {
            schedule();
          }
        })
        .catch(function () {
          schedule(); // a failed poll (server restarting, network blip) is tried again
        });
    }
    schedule();
  }

  function start() {
    document.querySelectorAll("[data-live-url]").forEach(follow);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
