/* presse: « copier le lien » and the feed link of the page's head kept in step with htmx swaps.
   Without this file the URL stays visible and selectable in its box. */
(function () {
  "use strict";

  function copied(button, text) {
    var status = button.parentNode.querySelector(".copy-status");
    if (status) { status.textContent = text; }
  }

  function fallbackCopy(input) {
    input.focus();
    input.select();
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }

  function showButtons() {
    var buttons = document.querySelectorAll("[data-copy][hidden]");
    for (var i = 0; i < buttons.length; i++) { buttons[i].hidden = false; }
  }

  document.addEventListener("click", function (ev) {
    var button = ev.target && ev.target.closest ? ev.target.closest("[data-copy]") : null;
    if (!button) { return; }
    ev.preventDefault();
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) { return; }
    var ok = function () { copied(button, "Lien copié"); };
    var ko = function () { copied(button, fallbackCopy(input) ? "Lien copié" : "Sélectionnez le lien puis copiez-le (Ctrl+C)"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(ok, ko);
    } else {
      ko();
    }
  });

  // The fragment carries the feed of the search now shown: the <head> link follows it.
  document.addEventListener("htmx:afterSettle", function () {
    showButtons();
    var link = document.querySelector("#workbench .feed-link");
    var head = document.querySelector('link[rel="alternate"][type="application/atom+xml"]');
    if (link && head) { head.setAttribute("href", link.getAttribute("href")); }
  });

  showButtons();
})();
