// Polls the state of a Swisscom SRS identification and reloads the page when it has moved on.
(function () {
  var el = document.getElementById('srs-status');
  if (!el) return;
  var statusUrl = el.getAttribute('data-status-url');
  var pageUrl = el.getAttribute('data-page-url');
  var pollMs = parseInt(el.getAttribute('data-poll-ms'), 10) || 3000;
  var shown = el.getAttribute('data-stage') || '';
  function poll() {
    fetch(statusUrl, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (res) {
        // Briefly unavailable (503): nothing changed, ask again a little later.
        if (res.status === 503) throw new Error('unavailable');
        return res.ok ? res.json() : { status: 'gone' };
      })
      .then(function (body) {
        if (body.status !== 'pending') return window.location.replace(pageUrl);
        // A new stage (status, or what is awaited) has its own message: show it.
        if ((body.stage || '') !== shown) return window.location.replace(pageUrl);
        setTimeout(poll, pollMs);
      })
      .catch(function () { setTimeout(poll, pollMs * 2); });
  }
  setTimeout(poll, pollMs);
})();
