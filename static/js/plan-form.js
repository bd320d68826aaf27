// The plan form's formsets: a new row takes the next number of its formset (TOTAL_FORMS), so the
// names stay unique; a removed row is simply not sent (the server ignores missing numbers).
(function () {
  var form = document.getElementById('plan-form');
  var results = document.getElementById('results');
  var resultTemplate = document.getElementById('result-template');
  var indicatorTemplate = document.getElementById('indicator-template');
  if (!form || !results || !resultTemplate || !indicatorTemplate) { return; }
  var resultHtml = resultTemplate.innerHTML;
  var indicatorHtml = indicatorTemplate.innerHTML;
  function next(total) { var n = parseInt(total.value, 10); total.value = n + 1; return String(n); }
  function build(html) { var box = document.createElement('div'); box.innerHTML = html.trim(); return box.firstElementChild; }
  form.addEventListener('click', function (event) {
    var button = event.target.closest('button[data-add-result], button[data-add-indicator], button[data-remove]');
    if (!button) { return; }
    event.preventDefault();
    if (button.hasAttribute('data-add-result')) {
      var number = next(form.querySelector('input[name="results-TOTAL_FORMS"]'));
      var row = build(resultHtml.split('__prefix__').join(number));
      results.appendChild(row);
      row.querySelector('textarea').focus();
    } else if (button.hasAttribute('data-add-indicator')) {
      var result = button.closest('.result-row');
      var prefix = result.dataset.prefix;
      var position = next(result.querySelector('input[name="' + prefix + '-indicators-TOTAL_FORMS"]'));
      var indicator = build(indicatorHtml.split('__RESULT__').join(prefix).split('__prefix__').join(position));
      result.querySelector('.indicators').appendChild(indicator);
      indicator.querySelector('input[type=text]').focus();
    } else {
      var target = button.closest(button.dataset.remove === 'result' ? '.result-row' : '.indicator-row');
      if (target) { target.remove(); }
    }
  });
})();
