// GoSQLGuard web UI. The pages work without this script; it adds live
// updates (polling /ui/live every 2 s), a busy state on long-running forms,
// and narrows the database list of the "Back up now" form to the chosen
// server.
(function () {
  'use strict';

  var POLL_MS = 2000;
  var HIDDEN_POLL_MS = 30000;

  // Long actions (verify, restore, retention) keep the request open: show
  // that something is happening and prevent a second submit.
  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    if (form.dataset.submitted === '1') {
      ev.preventDefault();
      return;
    }
    form.dataset.submitted = '1';
    var btn = form.querySelector('button[data-busy]');
    if (btn) {
      // After this tick, so the button's own name/value is still sent.
      setTimeout(function () {
        btn.disabled = true;
        btn.textContent = btn.dataset.busy;
      }, 0);
    }
  });
  // Coming back with the browser's back button restores a page from cache:
  // forms must work again.
  window.addEventListener('pageshow', function (ev) {
    if (!ev.persisted) return;
    document.querySelectorAll('form[data-submitted]').forEach(function (f) {
      delete f.dataset.submitted;
      var btn = f.querySelector('button[data-busy]');
      if (btn) btn.disabled = false;
    });
  });

  // "Back up now": show only the databases of the selected server.
  var server = document.getElementById('t-server');
  var database = document.getElementById('t-database');
  if (server && database) {
    var narrow = function () {
      var s = server.value;
      Array.prototype.forEach.call(database.options, function (o) {
        if (!o.value) return;
        var servers = (o.dataset.servers || '').split(' ');
        var show = !s || servers.indexOf(s) >= 0;
        o.hidden = !show;
        o.disabled = !show;
      });
      var sel = database.options[database.selectedIndex];
      if (sel && sel.disabled) database.value = '';
    };
    server.addEventListener('change', narrow);
    narrow();
  }

  var live = document.body.dataset.live;
  if (!live || !window.fetch) return;

  var banner = document.getElementById('live-banner');
  var note = document.getElementById('live-note');
  var clock = document.getElementById('live-clock');
  var baseTitle = document.title;
  var last = {};
  var timer = null;
  var stopped = false;
  var inflight = false;

  function showBanner(text) {
    if (!banner) return;
    banner.textContent = text;
    banner.hidden = false;
    if (note) note.classList.add('stale');
  }
  function hideBanner() {
    if (banner && !banner.hidden) {
      banner.hidden = true;
      banner.textContent = '';
    }
    if (note) note.classList.remove('stale');
  }
  function pad(n) { return n < 10 ? '0' + n : '' + n; }

  function schedule(ms) {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(poll, ms || (document.hidden ? HIDDEN_POLL_MS : POLL_MS));
  }

  function apply(data) {
    if (data.reload) {
      stopped = true;
      window.location.reload();
      return;
    }
    var sections = data.sections || {};
    Object.keys(sections).forEach(function (key) {
      var html = sections[key];
      if (last[key] === html) return;
      var el = document.getElementById('live-' + key);
      if (!el) return;
      // Disclosures a person opened (a full error) stay open.
      var open = {};
      Array.prototype.forEach.call(el.querySelectorAll('details[data-key]'), function (d) {
        if (d.open) open[d.dataset.key] = true;
      });
      el.innerHTML = html;
      Array.prototype.forEach.call(el.querySelectorAll('details[data-key]'), function (d) {
        if (open[d.dataset.key]) d.open = true;
      });
      last[key] = html;
    });
    document.title = data.running > 0 ? '(' + data.running + ' running) ' + baseTitle : baseTitle;
    if (clock) {
      var d = new Date();
      clock.textContent = 'Live · updated ' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
    }
  }

  function poll() {
    if (stopped || inflight) return;
    inflight = true;
    fetch(live, { credentials: 'same-origin', cache: 'no-store', headers: { 'Accept': 'application/json' } })
      .then(function (resp) {
        return resp.json().catch(function () { return {}; }).then(function (body) {
          return { status: resp.status, body: body };
        });
      })
      .then(function (r) {
        inflight = false;
        if (r.status === 401 || r.status === 403) {
          stopped = true;
          showBanner(r.body.error || 'Your session has ended. Log in again to keep this page up to date.');
          return;
        }
        if (r.status !== 200) {
          showBanner('Live updates paused: ' + (r.body.error || 'the server answered ' + r.status) + '. Retrying…');
          schedule(POLL_MS * 3);
          return;
        }
        hideBanner();
        apply(r.body);
        schedule();
      })
      .catch(function () {
        inflight = false;
        showBanner('Lost contact with GoSQLGuard. Retrying…');
        schedule(POLL_MS * 3);
      });
  }

  document.addEventListener('visibilitychange', function () {
    if (!document.hidden) schedule(1);
  });
  schedule();
})();
