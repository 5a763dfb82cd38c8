// Search as you type (GET /search) and the expandable tree (GET /_look/children) of `sarcoma-kg serve`.
// Everything is fetched from this server; text is inserted with textContent, never as HTML.
(function () {
  "use strict";
  var input = document.getElementById("search");
  var list = document.getElementById("suggestions");
  var pending = null, latest = 0, active = -1;

  function item(hit) {
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.href = hit.path;
    a.textContent = hit.label;
    var match = document.createElement("span");
    match.className = "match";
    match.textContent = hit.match + (hit.matched !== hit.label ? ": " + hit.matched : "");
    a.appendChild(match);
    li.appendChild(a);
    return li;
  }
  function show(hits) {
    list.replaceChildren.apply(list, hits.map(item));
    list.hidden = hits.length === 0;
    active = -1;
  }
  function lookup() {
    var q = input.value.trim();
    if (!q) { show([]); return; }
    var ticket = ++latest;
    fetch("/search?limit=10&q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) { if (ticket === latest) { show(data.results); } });
  }
  if (input) {
    input.addEventListener("input", function () { clearTimeout(pending); pending = setTimeout(lookup, 120); });
    input.addEventListener("keydown", function (event) {
      var items = list.querySelectorAll("li");
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!items.length) { return; }
        if (active >= 0) { items[active].classList.remove("active"); }
        active = (active + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
        items[active].classList.add("active");
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        window.location.href = items[active].querySelector("a").href;
      } else if (event.key === "Escape") { show([]); }
    });
    document.addEventListener("click", function (event) { if (!list.contains(event.target) && event.target !== input) { list.hidden = true; } });
  }

  function node(child) {
    var li = document.createElement("li");
    li.dataset.iri = child.iri;
    if (child.has_children) {
      var button = document.createElement("button");
      button.className = "toggle";
      button.setAttribute("aria-expanded", "false");
      button.setAttribute("aria-label", "expand " + child.label);
      button.textContent = "\u25b8";
      li.appendChild(button);
    } else {
      var leaf = document.createElement("span");
      leaf.className = "leaf";
      li.appendChild(leaf);
    }
    var a = document.createElement("a");
    a.href = child.path;
    a.textContent = child.label;
    li.appendChild(a);
    if (child.inferred) {
      var mark = document.createElement("span");
      mark.className = "inferred";
      mark.title = "inferred by the HermiT reasoner, not asserted";
      mark.textContent = "inferred";
      li.appendChild(document.createTextNode(" "));
      li.appendChild(mark);
    }
    return li;
  }
  var tree = document.getElementById("tree");
  if (tree) {
    tree.addEventListener("click", function (event) {
      var button = event.target.closest(".toggle");
      if (!button) { return; }
      var li = button.parentElement;
      var open = button.getAttribute("aria-expanded") === "true";
      var sub = li.querySelector(":scope > ul");
      if (open) { button.setAttribute("aria-expanded", "false"); if (sub) { sub.hidden = true; } return; }
      button.setAttribute("aria-expanded", "true");
      if (sub) { sub.hidden = false; return; }
      fetch("/_look/children?iri=" + encodeURIComponent(li.dataset.iri), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          var ul = document.createElement("ul");
          data.children.forEach(function (child) { ul.appendChild(node(child)); });
          li.appendChild(ul);
        });
    });
  }
  window.sarcomaKgLook = { lookup: lookup };
})();
