// The monthly report's evidence upload: a file dropped on the zone is uploaded at once.
(function () {
  var zone = document.getElementById('dropzone'), input = document.getElementById('evidence-file'), form = document.getElementById('upload-form');
  if (!zone || !input || !form) { return; }
  ['dragenter', 'dragover'].forEach(function (type) {
    zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.add('over'); });
  });
  ['dragleave', 'drop'].forEach(function (type) {
    zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.remove('over'); });
  });
  zone.addEventListener('drop', function (event) {
    var files = event.dataTransfer && event.dataTransfer.files;
    if (!files || !files.length) { return; }
    var transfer = new DataTransfer();
    transfer.items.add(files[0]);
    input.files = transfer.files;
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  });
})();
