// The note autosaves as the clinician types (htmx, see encounter_detail.html). If the tab is
// hidden or closed before the last autosave went out, send what was typed with a beacon.
(function () {
  var form = document.querySelector("form[data-autosave]");
  if (form) {
    var dirty = false;
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("htmx:afterRequest", function (event) {
      if (event.detail.successful) { dirty = false; }
    });
    var flush = function () {
      if (dirty && navigator.sendBeacon) {
        navigator.sendBeacon(form.action, new FormData(form));
        dirty = false;
      }
    };
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { flush(); }
    });
    window.addEventListener("pagehide", flush);
  }

  // Problem list: "Use" on a search result fills the code field.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-fill-code]");
    if (!button) { return; }
    var input = document.getElementById("id_code");
    if (input) {
      input.value = button.getAttribute("data-fill-code");
      input.focus();
    }
  });
})();
