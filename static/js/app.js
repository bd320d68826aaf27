// Behaviour every page shares, kept out of the HTML so that the Content-Security-Policy can refuse
// inline scripts and event-handler attributes (docs/security/production.md).
(function () {
  // A control that submits its form when changed (the language switcher).
  document.addEventListener('change', function (event) {
    var control = event.target.closest && event.target.closest('[data-submit-on-change]');
    if (control && control.form) { control.form.submit(); }
  });
  // A button that prints the page (the public feedback link's poster).
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('[data-print]');
    if (button) { event.preventDefault(); window.print(); }
  });
})();
