/* presse: small enhancements on top of htmx. Everything works without this file. */
(function () {
  "use strict";
  var DEFAULTS = { sort: "relevance", scope: "all", page: "1" };

  function fold(s) {
    return (s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  // The search box has its own debounced trigger; its blur "change" must not fire a second
  // search through the form, and facet filter boxes filter lists, not results.
  document.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t && (t.id === "q" || t.hasAttribute("data-facet-filter"))) { ev.stopPropagation(); }
  }, true);

  // Instant, accent-insensitive filtering of a facet's values as the user types.
  function filterFacet(box) {
    var list = document.getElementById(box.getAttribute("data-facet-filter"));
    if (!list) { return; }
    var needle = fold(box.value.trim());
    var items = list.querySelectorAll("li[data-label]");
    for (var i = 0; i < items.length; i++) {
      var li = items[i];
      var keep = !needle || fold(li.getAttribute("data-label")).indexOf(needle) !== -1 ||
                 li.classList.contains("is-selected");
      li.hidden = !keep;
    }
  }

  document.addEventListener("input", function (ev) {
    var box = ev.target;
    if (box && box.hasAttribute && box.hasAttribute("data-facet-filter")) { filterFacet(box); }
  });

  // After a swap: re-apply the filter boxes (they are preserved, the lists are new), and if the
  // swap removed the focused control (a chip, a page link), give focus to the results instead of
  // dropping keyboard users at the top of the document.
  document.addEventListener("htmx:afterSettle", function (ev) {
    var boxes = document.querySelectorAll("[data-facet-filter]");
    for (var i = 0; i < boxes.length; i++) { if (boxes[i].value) { filterFacet(boxes[i]); } }
    var region = document.getElementById("results-region");
    var active = document.activeElement;
    if (region && ev.target === region && (!active || active === document.body)) {
      var results = document.getElementById("resultats");
      if (results) { results.focus({ preventScroll: true }); }
    }
  });

  // Enter in a facet filter box must not submit the whole search when JS filters in place.
  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    if (ev.key === "Enter" && t && t.hasAttribute && t.hasAttribute("data-facet-filter")) {
      var list = document.getElementById(t.getAttribute("data-facet-filter"));
      var more = list && list.parentNode.querySelector(".facet-more a");
      if (!more) { ev.preventDefault(); }
    }
  });

  // Phones: « Filtrer » opens the filters above the results (without JS it jumps down to them);
  // the next swap renders the results first again, at the top of the page.
  document.addEventListener("click", function (ev) {
    var link = ev.target && ev.target.closest ? ev.target.closest(".to-filters") : null;
    if (!link || window.matchMedia("(min-width: 52rem)").matches) { return; }
    var layout = link.closest(".layout") || document.querySelector(".layout");
    if (!layout) { return; }
    ev.preventDefault();
    var open = layout.classList.toggle("filters-open");
    link.setAttribute("aria-expanded", open ? "true" : "false");
    var panel = document.getElementById("filtres");
    if (open && panel) { panel.focus({ preventScroll: true }); panel.scrollIntoView({ block: "start" }); }
  });

  // « Aide à la recherche » opens the help (a <details>), from its link or from a #aide URL.
  function openHelp() {
    var help = document.getElementById("aide");
    if (help && help.tagName === "DETAILS") { help.open = true; }
  }
  document.addEventListener("click", function (ev) {
    var a = ev.target && ev.target.closest ? ev.target.closest('a[href="#aide"]') : null;
    if (a) { openHelp(); }
  });
  window.addEventListener("hashchange", function () { if (location.hash === "#aide") { openHelp(); } });
  if (location.hash === "#aide") { openHelp(); }

  // A filter ticked on a phone: once the results are swapped in, show them, not the facet list.
  var tickedInFilters = false;
  document.addEventListener("change", function (ev) {
    tickedInFilters = !!(ev.target && ev.target.closest && ev.target.closest("#filtres"));
  }, true);
  document.addEventListener("htmx:afterSettle", function () {
    if (!tickedInFilters || window.matchMedia("(min-width: 52rem)").matches) { return; }
    tickedInFilters = false;
    var results = document.getElementById("resultats");
    if (results) { results.scrollIntoView({ block: "start" }); }
  });

  // Keep pushed URLs short and shareable: drop empty fields and default values.
  document.addEventListener("htmx:configRequest", function (ev) {
    var p = ev.detail.parameters;
    if (!p || typeof p.forEach !== "function" || typeof p.delete !== "function") { return; }
    var drop = [];
    p.forEach(function (value, key) {
      if (value === "" || DEFAULTS[key] === value) { drop.push([key, value]); }
    });
    drop.forEach(function (kv) {
      var kept = p.getAll(kv[0]).filter(function (v) { return v !== kv[1]; });
      p.delete(kv[0]);
      kept.forEach(function (v) { p.append(kv[0], v); });
    });
  });
})();
