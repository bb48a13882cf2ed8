// Orqestra admin: small progressive enhancements. Every page works without it.
(function () {
  "use strict";

  // Confirm destructive actions.
  document.addEventListener("click", function (ev) {
    var el = ev.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) ev.preventDefault();
  });

  // Copy buttons.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-copy]");
    if (!btn) return;
    var src = document.querySelector(btn.getAttribute("data-copy"));
    if (!src || !navigator.clipboard) return;
    navigator.clipboard.writeText(src.textContent.trim()).then(function () {
      btn.textContent = "Copied";
      setTimeout(function () { btn.textContent = "Copy"; }, 1500);
    });
  });

  // Tenant switcher.
  document.addEventListener("change", function (ev) {
    if (ev.target.matches("select[data-nav]") && ev.target.value) window.location.href = ev.target.value;
  });

  // Template editor: show only the fields the chosen channel uses.
  function syncChannel() {
    var sel = document.querySelector("select[data-channel]");
    if (!sel) return;
    document.querySelectorAll("[data-for]").forEach(function (el) {
      el.hidden = el.getAttribute("data-for").split(" ").indexOf(sel.value) < 0;
    });
  }
  document.addEventListener("change", function (ev) {
    if (ev.target.matches("select[data-channel]")) syncChannel();
  });

  // Pages waiting on a delivery refresh themselves until it settles.
  function autoRefresh() {
    var el = document.querySelector("[data-autorefresh]");
    if (!el) return;
    var ms = parseInt(el.getAttribute("data-autorefresh"), 10) || 2000;
    setTimeout(function () { window.location.reload(); }, ms);
  }

  document.addEventListener("DOMContentLoaded", function () {
    syncChannel();
    autoRefresh();
  });
})();
