// vngov pages work without JavaScript; this file only adds small comforts.
// Inline scripts are refused by the Content-Security-Policy, so behaviour
// is attached here through data attributes.
(function () {
  "use strict";

  // <form data-confirm="..."> or <button data-confirm="...">: ask before
  // submitting an action that cannot be undone.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = (button && button.getAttribute("data-confirm")) ||
      event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // <button type="button" data-print>: print the page.
  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("[data-print]");
    if (target) {
      event.preventDefault();
      window.print();
    }
  });

  // Focus the error summary after a failed submission, so screen readers
  // announce it and keyboard users start from the list of mistakes.
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
})();
