// litbase screening page: decide from the keyboard. The page works without it (plain form posts).
(function () {
  "use strict";
  var DECISIONS = { i: "include", "1": "include", e: "exclude", "2": "exclude", m: "maybe", "3": "maybe" };
  var record = document.getElementById("litbase-record");
  if (record) { record.focus(); }  // the record just opened is where a screen reader starts
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) { return; }
    var target = event.target;
    if (target.matches && target.matches("input, textarea, select")) {
      if (event.key === "Escape") { target.blur(); }
      return;  // typing a note must not decide anything
    }
    var click = null;
    if (DECISIONS[event.key]) {
      click = document.querySelector('#litbase-decide button[value="' + DECISIONS[event.key] + '"]');
    } else if (event.key === "n") {
      click = document.querySelector('a[rel="next"]');
    } else if (event.key === "p") {
      click = document.querySelector('a[rel="prev"]');
    } else if (event.key === "r" || event.key === "t") {
      var field = document.getElementById(event.key === "r" ? "litbase-reason" : "litbase-note");
      if (field) { event.preventDefault(); field.focus(); }
      return;
    }
    if (click) {
      event.preventDefault();
      click.click();
    }
  });
})();
