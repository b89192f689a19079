// Runs before the chart library: records console.error calls, uncaught exceptions and rejected
// promises into the #console-errors element, so a reader sees why a chart is missing and the browser
// test can assert the page drew without errors.
(function () {
  'use strict';
  var out = document.getElementById('console-errors');
  function record(text) {
    out.textContent += text + '\n';
    out.hidden = false;
  }
  var original = console.error;
  console.error = function () {
    var parts = [];
    for (var i = 0; i < arguments.length; i++) {
      var a = arguments[i];
      parts.push(a instanceof Error ? (a.stack || String(a)) : String(a));
    }
    record('console.error: ' + parts.join(' '));
    return original.apply(console, arguments);
  };
  window.addEventListener('error', function (e) {
    record('uncaught: ' + e.message + ' (' + (e.filename || 'inline') + ':' + e.lineno + ':' + e.colno + ')');
  });
  window.addEventListener('unhandledrejection', function (e) {
    record('unhandled rejection: ' + String(e.reason));
  });
})();
