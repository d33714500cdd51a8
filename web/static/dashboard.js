// Gatehouse dashboard: copy buttons. Every value can be selected and
// copied by hand without this script; with it, each read-only field gets
// a button that copies its value, and a click in the field selects it all.
// It also ties a field to the choice it belongs to (data-choose).
"use strict";
(function () {
  var status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  document.body.appendChild(status);

  function copied(button) {
    var label = button.firstChild.nodeValue;
    button.firstChild.nodeValue = "Copied";
    status.textContent = "Copied to the clipboard.";
    setTimeout(function () { button.firstChild.nodeValue = label; }, 2000);
  }

  function copyByCommand(field, button) {
    field.focus();
    field.select();
    try {
      if (document.execCommand("copy")) {
        copied(button);
        return;
      }
    } catch (e) {}
    status.textContent = "Press Ctrl+C or Cmd+C to copy the selected value.";
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(function () {
          copied(button);
        }, function () {
          copyByCommand(field, button);
        });
      } else {
        copyByCommand(field, button);
      }
    });
  });

  document.querySelectorAll(".copy-value").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });

  // A field that belongs to one choice of a group (a time for "expires at
  // a time") makes that choice when it is filled in, so that a time typed
  // under another choice is not silently ignored.
  document.querySelectorAll("[data-choose]").forEach(function (field) {
    var choice = document.getElementById(field.getAttribute("data-choose"));
    if (!choice) {
      return;
    }
    field.addEventListener("input", function () { choice.checked = true; });
  });
})();
