// Polls the state of a pending Mobile ID login and moves on when it is no longer pending.
(function () {
  var el = document.getElementById('mobileid-status');
  if (!el) return;
  var statusUrl = el.getAttribute('data-status-url');
  var pageUrl = el.getAttribute('data-page-url');
  var pollMs = parseInt(el.getAttribute('data-poll-ms'), 10) || 2000;
  function poll() {
    fetch(statusUrl, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (res) {
        // Briefly unavailable (503): nothing changed, ask again a little later.
        if (res.status === 503) throw new Error('unavailable');
        return res.ok ? res.json() : { status: 'gone' };
      })
      .then(function (body) {
        if (body.status === 'pending') setTimeout(poll, pollMs);
        else window.location.replace(pageUrl);
      })
      .catch(function () { setTimeout(poll, pollMs * 2); });
  }
  setTimeout(poll, pollMs);
})();
