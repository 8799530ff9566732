// threatscribe web app: decisions on findings, file upload into the start form, busy buttons.
// Served as a file: the app's Content-Security-Policy allows no inline script.
(function () {
  function meta(name) {
    var m = document.querySelector('meta[name="' + name + '"]');
    return m ? m.content : '';
  }
  Array.prototype.forEach.call(document.querySelectorAll('form.track'), function (form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var out = form.querySelector('.saved');
      out.textContent = 'saving…';
      fetch(meta('tracking-url') + encodeURIComponent(form.dataset.threat), {
        method: 'PUT',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'x-csrf-token': meta('csrf-token') },
        body: JSON.stringify({ status: form.elements.status.value, justification: form.elements.justification.value })
      }).then(function (response) {
        return response.json().then(function (body) { return [response.ok, body]; });
      }).then(function (result) {
        if (!result[0]) { out.textContent = 'not saved: ' + result[1].error; return; }
        out.textContent = 'saved: ' + result[1].status;
        var row = form.closest('tr.detail').previousElementSibling;
        row.dataset.status = result[1].status;
        var cell = row.querySelector('span.status');
        if (cell) { cell.textContent = result[1].status; cell.className = 'status ' + result[1].status; }
        var line = Array.prototype.find.call(form.closest('tr.detail').querySelectorAll('p'), function (p) {
          var label = p.querySelector('b');
          return label && label.textContent === 'Status:';
        });
        if (line && line.lastChild) { line.lastChild.textContent = ' ' + result[1].status + ' (saved; the residual severity updates on reload).'; }
      }).catch(function (error) { out.textContent = 'not saved: ' + error; });
    });
  });
  var file = document.getElementById('file');
  if (file) {
    file.addEventListener('change', function () {
      var chosen = file.files[0];
      if (!chosen) { return; }
      chosen.text().then(function (text) {
        document.getElementById('input').value = text;
        var name = document.getElementById('name');
        if (name && !name.value) { name.value = chosen.name.replace(/\.[^.]+$/, ''); }
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll('form.busy'), function (form) {
    form.addEventListener('submit', function () {
      var button = form.querySelector('button[type=submit]');
      if (button) { button.disabled = true; button.textContent = button.dataset.busy || 'Working…'; }
    });
  });
})();
