/* Sutiao pages (leader, me, court): copy buttons and "working…" notes. No outside code.
   Every text comes from the page (data-* attributes), so it follows the page's language. */
(function () {
  "use strict";

  function say(button, text) {
    var status = document.getElementById(button.getAttribute("aria-describedby") || "");
    if (status) { status.textContent = text; }
  }

  function fallbackCopy(input) {
    input.focus();
    input.select();
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (!button) { return; }
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) { return; }
    var done = button.getAttribute("data-copied") || "";
    var failed = button.getAttribute("data-failed") || "";
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(
        function () { say(button, done); },
        function () { say(button, fallbackCopy(input) ? done : failed); }
      );
    } else {
      say(button, fallbackCopy(input) ? done : failed);
    }
  });

  /* A read-only link field selects itself on focus, ready for Ctrl+C. */
  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("input.copy-field")) { target.select(); }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-busy");
    if (!message) { return; }
    var note = form.querySelector(".busy");
    if (note) { note.textContent = message; }
    form.setAttribute("aria-busy", "true");
    Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (b) {
      window.setTimeout(function () { b.disabled = true; }, 0);
    });
  });
})();
