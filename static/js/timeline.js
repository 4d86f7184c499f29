/* presse timeline: counts on focus, arrow keys between bars, and a range chosen by a drag or by two
   clicks in « Choisir une période », which fills the form's « du … au » fields and submits it.
   Without this file every bar is still a link that filters the search. */
(function () {
  "use strict";
  var picking = null;   // the figure in « choisir une période » mode
  var first = null;     // the first bar picked (two-click range)
  var drag = null;      // {bar, over, moved} while a pointer is down on a bar
  var swallowClick = false;

  function figureOf(el) { return el && el.closest ? el.closest("figure.tl[data-range]") : null; }
  function barOf(el) { return el && el.closest ? el.closest("figure.tl a.tl-bar") : null; }
  function bars(fig) { return Array.prototype.slice.call(fig.querySelectorAll("a.tl-bar")); }
  // What the pointer or the focus is on, shown (screen readers have each bar's label); range
  // instructions are also announced through the status line.
  function readout(fig, text, announce) {
    var out = fig.querySelector(".tl-readout"), status = fig.querySelector(".tl-status");
    if (out) { out.textContent = text; }
    if (status && announce) { status.textContent = text; }
  }
  function describe(bar) {
    var n = parseInt(bar.getAttribute("data-count"), 10) || 0;
    return bar.getAttribute("data-name") + " : " + n + " article" + (n === 1 ? "" : "s");
  }
  function frenchDay(iso) { return iso.split("-").reverse().join("/"); }

  function preview(fig, a, b) {
    var all = bars(fig), i = all.indexOf(a), j = all.indexOf(b);
    if (i > j) { var t = i; i = j; j = t; }
    all.forEach(function (bar, k) { bar.classList.toggle("tl-preview", b !== null && k >= i && k <= j); });
  }

  function clearMarks(fig) {
    bars(fig).forEach(function (bar) { bar.classList.remove("tl-preview", "tl-picked"); });
  }

  // Fill « du … au » with the periods of two bars (in either order) and search.
  function submitRange(fig, a, b) {
    var form = document.getElementById("search-form");
    var from = document.getElementById("date-from"), to = document.getElementById("date-to");
    if (!form || !from || !to) { return; }
    var lo = a.getAttribute("data-from") < b.getAttribute("data-from") ? a : b;
    var hi = lo === a ? b : a;
    from.value = lo.getAttribute("data-from");
    to.value = hi.getAttribute("data-to");
    // The range replaces the timeline's own filters: months always, years too on a year axis.
    var names = fig.getAttribute("data-range") === "year" ? ["month", "year"] : ["month"];
    names.forEach(function (name) {
      form.querySelectorAll('input[name="' + name + '"]').forEach(function (input) {
        if (input.type === "checkbox") { input.checked = false; } else { input.remove(); }
      });
    });
    readout(fig, "Période : du " + frenchDay(from.value) + " au " + frenchDay(to.value), true);
    stopPicking();
    if (typeof form.requestSubmit === "function") { form.requestSubmit(); } else { form.submit(); }
  }

  function stopPicking() {
    if (!picking) { return; }
    clearMarks(picking);
    var button = picking.querySelector(".tl-pick");
    if (button) { button.setAttribute("aria-pressed", "false"); }
    picking = null;
    first = null;
  }

  function pick(fig, bar) {
    if (first === null) {
      first = bar;
      bar.classList.add("tl-picked");
      readout(fig, "Début : " + bar.getAttribute("data-name") + ". Choisissez la fin de la période.", true);
      return;
    }
    submitRange(fig, first, bar);
  }

  // A « Choisir une période » button on every timeline that can set the form's range.
  function enhance(root) {
    var figs = (root || document).querySelectorAll("figure.tl[data-range]");
    Array.prototype.forEach.call(figs, function (fig) {
      if (fig.querySelector(".tl-tools") || !document.getElementById("date-from")) { return; }
      var tools = document.createElement("div");
      tools.className = "tl-tools";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "tl-pick";
      button.setAttribute("aria-pressed", "false");
      button.textContent = "Choisir une période";
      var hint = document.createElement("span");
      hint.className = "muted small";
      hint.textContent = "ou faites glisser sur les barres";
      tools.appendChild(button);
      tools.appendChild(hint);
      fig.appendChild(tools);
    });
  }

  document.addEventListener("click", function (ev) {
    var button = ev.target.closest ? ev.target.closest(".tl-pick") : null;
    if (button) {
      var fig = figureOf(button);
      if (picking === fig) {
        stopPicking();
        readout(fig, "");
      } else {
        stopPicking();
        picking = fig;
        button.setAttribute("aria-pressed", "true");
        readout(fig, "Choisissez le début de la période (Échap pour annuler).", true);
      }
      return;
    }
    var bar = barOf(ev.target);
    if (!bar) { return; }
    if (swallowClick || (picking && figureOf(bar) === picking)) {
      // captured before htmx sees it: this click picks a bound, it does not filter
      ev.preventDefault();
      ev.stopPropagation();
      if (!swallowClick) { pick(picking, bar); }
      swallowClick = false;
      return;
    }
    // htmx loads the bar's hx-get into the results; the browser must not also follow the link
    if (window.htmx && bar.hasAttribute("hx-get")) { ev.preventDefault(); }
  }, true);

  document.addEventListener("keydown", function (ev) {
    var bar = barOf(ev.target);
    if (ev.key === "Escape" && picking) {
      readout(picking, "Sélection de période annulée.", true);
      stopPicking();
      return;
    }
    if (!bar) { return; }
    if (ev.key === "ArrowLeft" || ev.key === "ArrowRight" || ev.key === "Home" || ev.key === "End") {
      var all = bars(bar.closest("figure")), i = all.indexOf(bar);
      var next = ev.key === "Home" ? 0 : ev.key === "End" ? all.length - 1 : i + (ev.key === "ArrowLeft" ? -1 : 1);
      if (all[next]) { ev.preventDefault(); all[next].focus(); }
    } else if (ev.key === " " && picking && figureOf(bar) === picking) {
      ev.preventDefault();
      pick(picking, bar);
    }
  });

  // Counts of every bar on focus or hover, also where there is no room to print them all.
  function show(ev) {
    var bar = barOf(ev.target);
    if (!bar) { return; }
    var fig = bar.closest("figure");
    if (!first && !drag) { readout(fig, describe(bar)); }
  }
  document.addEventListener("focusin", show);
  document.addEventListener("pointerover", show);

  // A drag from one bar to another selects the range between them (mouse, pen or finger).
  document.addEventListener("pointerdown", function (ev) {
    var bar = barOf(ev.target);
    if (!bar || !figureOf(bar) || ev.button > 0) { return; }
    drag = { bar: bar, over: bar, fig: figureOf(bar), moved: false };
  });
  document.addEventListener("pointermove", function (ev) {
    if (!drag) { return; }
    var under = barOf(document.elementFromPoint(ev.clientX, ev.clientY));
    if (under && figureOf(under) === drag.fig && under !== drag.over) {
      drag.over = under;
      drag.moved = true;
      preview(drag.fig, drag.bar, under);
      readout(drag.fig, "Du " + drag.bar.getAttribute("data-name") + " au " + under.getAttribute("data-name"));
    }
  });
  function endDrag(ev) {
    if (!drag) { return; }
    var d = drag;
    drag = null;
    if (ev.type === "pointerup" && d.moved && d.over !== d.bar) {
      swallowClick = true;  // the click that ends a drag must not also filter by one bar
      setTimeout(function () { swallowClick = false; }, 400);
      submitRange(d.fig, d.bar, d.over);
    } else {
      preview(d.fig, d.bar, null);
    }
  }
  document.addEventListener("pointerup", endDrag);
  document.addEventListener("pointercancel", endDrag);
  document.addEventListener("dragstart", function (ev) { if (barOf(ev.target)) { ev.preventDefault(); } });

  // The « du … au » fields live outside the swapped region: after a chip or a link changed the
  // range, they take the values of the new URL, or the next keystroke would bring the old range back.
  function syncFields() {
    var params = new URLSearchParams(window.location.search);
    [["date-from", "from", "date_from"], ["date-to", "to", "date_to"]].forEach(function (f) {
      var input = document.getElementById(f[0]);
      var value = params.get(f[1]) || params.get(f[2]) || "";
      if (input && input !== document.activeElement && /^\d{4}-\d{2}-\d{2}$|^$/.test(value)) { input.value = value; }
    });
  }
  document.addEventListener("htmx:pushedIntoHistory", syncFields);
  document.addEventListener("htmx:historyRestore", syncFields);
  window.addEventListener("popstate", function () { setTimeout(syncFields, 0); });

  document.addEventListener("htmx:afterSettle", function (ev) { picking = null; first = null; enhance(ev.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  } else {
    enhance(document);
  }
})();
