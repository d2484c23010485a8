// Polls the state of a pending Freja eID verification, shows what the app is waiting for, and
// moves on (the page then sends the browser back to the step-up page) once it is over.
(function () {
  var el = document.getElementById('freja-status');
  if (!el) return;
  var problem = document.getElementById('freja-problem');
  var statusUrl = el.getAttribute('data-status-url');
  var pageUrl = el.getAttribute('data-page-url');
  var pollMs = parseInt(el.getAttribute('data-poll-ms'), 10) || 2000;
  function poll() {
    fetch(statusUrl, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (res) {
        // Briefly unavailable (503): nothing changed, ask again a little later.
        if (res.status === 503) throw new Error('unavailable');
        return res.ok ? res.json() : { state: 'gone' };
      })
      .then(function (body) {
        if (body.state !== 'pending') { window.location.replace(pageUrl); return; }
        if (body.text && el.textContent !== body.text) el.textContent = body.text;
        if (problem) {
          problem.hidden = !body.problem;
          problem.textContent = body.problem || '';
        }
        setTimeout(poll, pollMs);
      })
      .catch(function () { setTimeout(poll, pollMs * 2); });
  }
  setTimeout(poll, pollMs);
})();
