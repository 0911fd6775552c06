// Tandem web UI: progressive enhancement only. Every page works without
// this script; it adds term autocomplete, live updates (Server-Sent Events)
// and highlighting in the schedule grid.
(function () {
  "use strict";

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // Term autocomplete: a combobox with a listbox of terms, each shown with
  // its broader terms so homonyms can be told apart.
  function termPicker(box) {
    var input = box.querySelector("input[role=combobox]");
    var list = box.querySelector("[role=listbox]");
    if (!input || !list) return;
    var multi = input.getAttribute("data-multi");
    var single = input.getAttribute("data-single");
    var chips = box.querySelector(".chips");
    var url = box.getAttribute("data-terms");
    var items = [], active = -1, timer = null, seq = 0;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function highlight(i) {
      var opts = list.querySelectorAll("[role=option]");
      opts.forEach(function (o, j) { o.setAttribute("aria-selected", j === i ? "true" : "false"); });
      active = i;
      if (i >= 0 && opts[i]) {
        input.setAttribute("aria-activedescendant", opts[i].id);
        opts[i].scrollIntoView({ block: "nearest" });
      }
    }
    function choose(t) {
      if (multi && chips) {
        var exists = chips.querySelector('input[value^="' + CSS.escape(t.id) + '|"]');
        if (!exists) {
          var li = el("li", "chip");
          var h = el("input");
          h.type = "hidden"; h.name = multi; h.value = t.id + "|" + t.label;
          var x = el("button", "chip-x", "×");
          x.type = "button";
          x.setAttribute("aria-label", (chips.getAttribute("data-remove") || "Remove") + " " + t.label);
          li.appendChild(h); li.appendChild(el("span", "", t.label)); li.appendChild(document.createTextNode(" ")); li.appendChild(x);
          chips.appendChild(li);
        }
        input.value = "";
      } else if (single) {
        box.querySelector('input[type=hidden][name="' + single + '"]').value = t.id;
        var lab = box.querySelector('input[type=hidden][name="term_label"]');
        if (lab) lab.value = t.label;
        input.value = t.label;
        var chosen = box.querySelector(".chosen");
        if (chosen) chosen.textContent = t.label + " (" + t.id + ")";
      }
      close();
      input.focus();
    }
    function render() {
      list.innerHTML = "";
      items.forEach(function (t, i) {
        var o = el("li", "option");
        o.id = list.id + "-" + i;
        o.setAttribute("role", "option");
        o.setAttribute("aria-selected", "false");
        o.appendChild(el("span", "opt-label", t.label));
        var meta = t.id + (t.broader && t.broader.length ? " · " + (box.getAttribute("data-broader") || "⊂") + " " + t.broader.join(", ") : "");
        o.appendChild(el("span", "opt-meta", meta));
        o.addEventListener("mousedown", function (e) { e.preventDefault(); choose(t); });
        list.appendChild(o);
      });
      list.hidden = items.length === 0;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
      active = -1;
    }
    function search() {
      var q = input.value.trim();
      if (single) box.querySelector('input[type=hidden][name="' + single + '"]').value = "";
      if (q.length < 2) { items = []; render(); return; }
      var mine = ++seq;
      fetch(url + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (data) { if (mine === seq) { items = data || []; render(); } })
        .catch(function () { items = []; render(); });
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 150); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" && items.length) { e.preventDefault(); highlight(Math.min(active + 1, items.length - 1)); }
      else if (e.key === "ArrowUp" && items.length) { e.preventDefault(); highlight(Math.max(active - 1, 0)); }
      else if (e.key === "Enter" && !list.hidden && items.length) { e.preventDefault(); choose(items[Math.max(active, 0)]); }
      else if (e.key === "Escape") { close(); }
    });
    // Enter in a term box picks a term; it never sends the whole form.
    input.addEventListener("keypress", function (e) { if (e.key === "Enter") e.preventDefault(); });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
    if (chips) {
      chips.addEventListener("click", function (e) {
        if (e.target.classList.contains("chip-x")) {
          e.target.closest("li").remove();
          input.focus();
        }
      });
    }
  }

  // Live notifications: the badge counts new ones; the notification page
  // shows them as they arrive.
  function liveNotes(badge) {
    if (!window.EventSource) return;
    var es = new EventSource(badge.getAttribute("data-live"));
    es.onopen = function () { badge.setAttribute("data-live-open", "1"); };
    es.addEventListener("note", function (e) {
      var n = JSON.parse(e.data);
      badge.textContent = String((parseInt(badge.textContent, 10) || 0) + 1);
      badge.hidden = false;
      var list = document.getElementById("notes");
      if (list) {
        var li = el("li", "card new");
        var a = el("a", "", n.text);
        a.href = n.href;
        li.appendChild(a);
        li.appendChild(document.createTextNode(" "));
        li.appendChild(el("span", "hint", n.when));
        list.insertBefore(li, list.firstChild);
        var none = document.getElementById("no-notes");
        if (none) none.remove();
      }
    });
  }

  // New matches of saved searches, pushed by WatchMatches.
  function liveMatches(list) {
    var status = document.getElementById("live-status");
    if (!window.EventSource) return;
    status.textContent = status.getAttribute("data-connecting");
    var es = new EventSource(list.getAttribute("data-live"));
    es.onopen = function () { status.textContent = status.getAttribute("data-connected"); };
    es.onerror = function () { status.textContent = status.getAttribute("data-lost"); };
    es.addEventListener("match", function (e) {
      var m = JSON.parse(e.data);
      var li = el("li", "card new match");
      var h = el("p");
      h.appendChild(el("strong", "", m.name));
      h.appendChild(document.createTextNode(" · " + m.score + (m.search ? " · " + m.search : "")));
      li.appendChild(h);
      if (m.reasons && m.reasons.length) {
        var ul = el("ul", "reasons");
        m.reasons.forEach(function (r) { ul.appendChild(el("li", "", r)); });
        li.appendChild(ul);
      }
      if (m.href) {
        var a = el("a", "", list.getAttribute("data-open"));
        a.href = m.href;
        li.appendChild(a);
      }
      list.insertBefore(li, list.firstChild);
    });
    es.addEventListener("problem", function (e) {
      status.textContent = JSON.parse(e.data).message;
      status.className = "problem";
      es.close();
    });
  }

  // Schedule grid: pressing a participant highlights all their meetings,
  // which makes it easy to check nobody is in two places at once.
  function grid(table) {
    table.addEventListener("click", function (e) {
      var b = e.target.closest(".who");
      if (!b) return;
      var p = b.getAttribute("data-p");
      var on = !b.classList.contains("hl");
      table.querySelectorAll(".who.hl").forEach(function (x) { x.classList.remove("hl"); x.setAttribute("aria-pressed", "false"); });
      if (on) {
        table.querySelectorAll('.who[data-p="' + CSS.escape(p) + '"]').forEach(function (x) { x.classList.add("hl"); x.setAttribute("aria-pressed", "true"); });
      }
    });
  }

  // The organiser's grid follows the schedule as it changes, told by the
  // server (Server-Sent Events), and says what changed: a cancelled
  // meeting leaves at once; after a move, swap, lock, placement or booking the
  // grid's rows are read again from the page's own address (one read at
  // a time, one more if changes came meanwhile), without a reload.
  function liveGrid(table) {
    if (!window.EventSource) return;
    var es = new EventSource(table.getAttribute("data-live"));
    var status = document.getElementById("grid-live");
    function say(what) { if (status) status.textContent = status.getAttribute("data-" + what); }
    es.onopen = function () { table.setAttribute("data-live-open", "1"); };
    es.addEventListener("cancelled", function (e) {
      var m = document.getElementById("m-" + JSON.parse(e.data).meeting);
      if (!m) return;
      m.remove();
      say("cancelled");
    });
    var reading = false, again = false, said = "";
    function refresh() {
      if (reading) { again = true; return; }
      reading = true;
      fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("schedule-grid");
          if (fresh) { table.innerHTML = fresh.innerHTML; say(said); }
        })
        .catch(function () {})
        .then(function () {
          reading = false;
          if (again) { again = false; refresh(); }
        });
    }
    es.addEventListener("changed", function (e) {
      var change = JSON.parse(e.data).change;
      said = change === "added" || change === "edited" ? change : "moved";
      refresh();
    });
  }

  // Schedule editing by drag and drop: a meeting dropped on a free place
  // the keyboard would offer moves there, on another meeting (both under
  // review) swaps with it; elsewhere the drop is refused. The
  // drop fills and sends the same form as the keyboard's Move here / Swap
  // buttons, so the server checks every change the same way.
  function gridEdit(table, form) {
    var dragged = null;
    function clear() {
      table.querySelectorAll(".drop").forEach(function (x) { x.classList.remove("drop"); });
    }
    function target(e) {
      var td = e.target.closest && e.target.closest("td[data-to]");
      if (!td || !dragged || td.contains(dragged)) return null;
      var other = td.querySelector(".meeting[data-m]");
      if (other) return dragged.getAttribute("data-swap") && other.getAttribute("data-swap") ? td : null;
      // A free cell takes the meeting only in a row the keyboard's Move
      // here would offer (data-rows: row i is bit i%4 of hex digit i/4).
      var i = td.parentElement.sectionRowIndex, rows = dragged.getAttribute("data-rows") || "";
      return (parseInt(rows.charAt(i >> 2) || "0", 16) >> (i & 3)) & 1 ? td : null;
    }
    table.addEventListener("dragstart", function (e) {
      var m = e.target.closest && e.target.closest(".meeting[data-m]");
      if (!m) return;
      dragged = m;
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", m.getAttribute("data-m"));
      m.classList.add("dragging");
    });
    table.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("dragging");
      dragged = null;
      clear();
    });
    table.addEventListener("dragover", function (e) {
      var td = target(e);
      if (!td) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "move";
      clear();
      td.classList.add("drop");
    });
    table.addEventListener("drop", function (e) {
      var td = target(e);
      if (!td) return;
      e.preventDefault();
      form.elements.meeting.value = dragged.getAttribute("data-m");
      var other = td.querySelector(".meeting[data-m]");
      var h = el("input");
      h.type = "hidden";
      if (other) { h.name = "swap"; h.value = other.getAttribute("data-m"); }
      else { h.name = "to"; h.value = td.getAttribute("data-to"); }
      form.appendChild(h);
      form.submit();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".termpicker").forEach(termPicker);
    var badge = document.getElementById("unread");
    if (badge) liveNotes(badge);
    var matches = document.getElementById("live-matches");
    if (matches) liveMatches(matches);
    var g = document.getElementById("schedule-grid");
    if (g) grid(g);
    if (g && g.getAttribute("data-live")) liveGrid(g);
    var ef = document.getElementById("edit-form");
    if (g && ef) gridEdit(g, ef);
    document.querySelectorAll("[data-print]").forEach(function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
    var problem = document.getElementById("problem");
    if (problem) { problem.setAttribute("tabindex", "-1"); problem.focus(); }
  });
})();
