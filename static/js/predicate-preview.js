// The scoring form's live preview of the predicate its two ratings give (the matrix comes from the
// page's json_script "predicate-data"), on the assessment page.
(function () {
  var form = document.getElementById('scoring-form');
  var source = document.getElementById('predicate-data');
  var output = document.getElementById('predicate-preview');
  if (!form || !source || !output) { return; }
  var data = JSON.parse(source.textContent);
  function update() {
    var results = data.fixed || (form.elements.results_rating ? form.elements.results_rating.value : '');
    var behaviour = form.elements.behaviour_rating.value;
    var code = results && behaviour ? data.matrix[results][behaviour] : '';
    output.textContent = code ? data.labels[code] : '—';
    output.className = 'predicate ' + code;
  }
  form.addEventListener('change', update);
  update();
})();
