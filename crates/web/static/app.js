/* Progressive enhancement only: every form works without this file. */
(function () {
  "use strict";
  // Region pickers: choosing a kabupaten/kota or kecamatan loads the level below.
  function fill(select, items, placeholder) {
    select.innerHTML = "";
    var o = document.createElement("option");
    o.value = ""; o.textContent = placeholder; select.appendChild(o);
    items.forEach(function (r) {
      var opt = document.createElement("option");
      opt.value = r.code; opt.textContent = r.name; select.appendChild(opt);
    });
    select.disabled = items.length === 0;
  }
  document.querySelectorAll("[data-region-child]").forEach(function (parent) {
    parent.addEventListener("change", function () {
      var child = document.getElementById(parent.getAttribute("data-region-child"));
      if (!child) return;
      var grand = child.getAttribute("data-region-child");
      if (grand) { var g = document.getElementById(grand); if (g) fill(g, [], g.getAttribute("data-placeholder") || "—"); }
      if (!parent.value) { fill(child, [], child.getAttribute("data-placeholder") || "—"); return; }
      fetch("/api/v1/regions?parent=" + encodeURIComponent(parent.value))
        .then(function (r) { return r.json(); })
        .then(function (items) { fill(child, items, child.getAttribute("data-placeholder") || "—"); })
        .catch(function () {});
    });
  });
  // The receipt's "copy the link" button.
  document.querySelectorAll("[data-copy]").forEach(function (b) {
    var field = document.getElementById(b.getAttribute("data-copy"));
    if (!field || !navigator.clipboard) return;
    b.hidden = false;
    b.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () { b.textContent = b.getAttribute("data-done"); });
    });
  });
  // The no-script "show the next level" buttons are not needed when this runs.
  document.querySelectorAll("[data-js-hide]").forEach(function (el) { el.hidden = true; });
  // Location from the phone's GPS, only when the citizen asks for it.
  var gps = document.getElementById("gps");
  if (gps && navigator.geolocation) {
    gps.hidden = false;
    gps.addEventListener("click", function () {
      var status = document.getElementById("gps-status");
      status.textContent = gps.getAttribute("data-wait");
      navigator.geolocation.getCurrentPosition(function (p) {
        document.getElementById("latitude").value = p.coords.latitude.toFixed(6);
        document.getElementById("longitude").value = p.coords.longitude.toFixed(6);
        status.textContent = gps.getAttribute("data-done") + " (" + p.coords.latitude.toFixed(5) + ", " + p.coords.longitude.toFixed(5) + ")";
      }, function () { status.textContent = gps.getAttribute("data-fail"); }, { enableHighAccuracy: true, timeout: 15000 });
    });
  }
  // Shown only when this runs (a filter box needs script).
  document.querySelectorAll("[data-js-show]").forEach(function (el) { el.hidden = false; });
  // A search box that narrows a long checklist (the supporting agencies) as one types.
  document.querySelectorAll("[data-filter]").forEach(function (box) {
    var list = document.getElementById(box.getAttribute("data-filter"));
    if (!list) return;
    box.addEventListener("input", function () {
      var q = box.value.trim().toLowerCase();
      list.querySelectorAll("label").forEach(function (l) {
        l.hidden = q !== "" && l.textContent.toLowerCase().indexOf(q) < 0;
      });
    });
  });
})();
