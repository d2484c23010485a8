/**
 * The virtual phone page: plain server-rendered HTML, no scripts, no third-party resources.
 * One card per pending request with approve / cancel forms; the number's account (serial, key,
 * SIM / App methods) with re-activation; recent receipts; known numbers.
 */
import { escapeHtml as h } from '../shared/http.js';
import { FAULTS } from './faults.js';
import { DEFAULT_GEOFENCING, GEOFENCING_ERRORS } from './geofencing.js';
import type { AccountView, PendingItem } from './phone.js';

export interface PhonePageModel {
  basePath: string;
  formToken: string;
  now: Date;
  /** The number the page is filtered on (digits), if any. */
  msisdn: string | undefined;
  notice: string | undefined;
  pending: PendingItem[];
  account: AccountView | undefined;
  accounts: AccountView[];
  messages: Array<{ msisdn: string; message: string; at: string }>;
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#eef1f4;color:#1d2329}
main{max-width:760px;margin:0 auto;padding:1rem 1.25rem 3rem}
h1{font-size:1.4rem;margin:.5rem 0 0}h2{font-size:1.1rem;margin:1.75rem 0 .5rem}
.sub{color:#56606b;margin:.25rem 0 1rem}
.card{background:#fff;border-radius:10px;padding:1rem;margin:.75rem 0;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.meta{color:#56606b;font-size:.9rem}
.dtbd{font-size:1.15rem;border-left:4px solid #0b5cab;padding:.5rem .75rem;margin:.75rem 0;background:#f5f8fc;white-space:pre-wrap}
.notice{background:#e7f5e9;border:1px solid #9bd1a4;padding:.5rem .75rem;border-radius:6px}
fieldset{border:1px solid #d3d9df;border-radius:6px;margin:.5rem 0}
label{display:inline-block;margin:.25rem .75rem .25rem 0}
input[type=text]{width:7rem}input.cc{width:3rem}
button{padding:.45rem 1rem;border-radius:6px;border:1px solid #0b5cab;background:#0b5cab;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#0b5cab}
.row{display:flex;gap:.5rem;flex-wrap:wrap;align-items:center}
table{border-collapse:collapse;width:100%;background:#fff}td,th{padding:.35rem .5rem;border-bottom:1px solid #e2e6ea;text-align:left;font-size:.9rem}
code{font-size:.85rem}
`;

function hidden(name: string, value: string): string {
  return `<input type="hidden" name="${h(name)}" value="${h(value)}">`;
}

function form(m: PhonePageModel, action: string, body: string, extra: Record<string, string> = {}): string {
  const fields = { token: m.formToken, back: m.msisdn ?? '', ...extra };
  const inputs = Object.entries(fields)
    .map(([k, v]) => hidden(k, v))
    .join('');
  return `<form method="post" action="${h(m.basePath)}/phone/${action}">${inputs}${body}</form>`;
}

function secondsLeft(m: PhonePageModel, iso: string): number {
  return Math.max(0, Math.round((Date.parse(iso) - m.now.getTime()) / 1000));
}

function geofencingFields(): string {
  const errorOptions = Object.entries(GEOFENCING_ERRORS)
    .map(([code, message]) => `<option value="${code}">${code} – ${h(message)}</option>`)
    .join('');
  return `<fieldset><legend>Location to report (geofencing)</legend>
<label>Country <input class="cc" type="text" name="country" value="${DEFAULT_GEOFENCING.country}" maxlength="2"></label>
<label>Accuracy (m) <input type="text" name="accuracy" value="${DEFAULT_GEOFENCING.accuracy}"></label>
<label>Location confidence <input type="text" name="locationConfidence" value="${DEFAULT_GEOFENCING.locationConfidence}"></label>
<label>Device confidence <input type="text" name="deviceConfidence" value="${DEFAULT_GEOFENCING.deviceConfidence}"></label>
<label>Location <select name="geofencingErrorCode"><option value="">available</option>${errorOptions}</select></label>
</fieldset>`;
}

function pendingCard(m: PhonePageModel, item: PendingItem): string {
  const target = { transId: item.transId };
  const expires = `expires in ${secondsLeft(m, item.expiresAt)} s`;
  if (item.kind === 'receipt') {
    return `<section class="card">
<p class="meta"><strong>+${h(item.msisdn)}</strong> · receipt · ${h(item.language ?? '')} · ${expires}</p>
<div class="dtbd">${h(item.message)}</div>
<div class="row">${form(m, 'approve', '<button>OK</button>', target)}${form(m, 'cancel', '<button class="secondary">Cancel</button>', target)}</div>
</section>`;
  }
  return `<section class="card">
<p class="meta"><strong>+${h(item.msisdn)}</strong> · ${item.method} · <code>${h(item.signatureProfile)}</code> · ${h(item.userLang)} · ${item.mode} · ${expires} · <code>${h(item.transId)}</code></p>
<div class="dtbd">${h(item.dtbd)}</div>
${form(m, 'approve', `${item.geofencing ? geofencingFields() : ''}<div class="row"><button>Approve</button></div>`, target)}
${form(m, 'cancel', '<div class="row"><button class="secondary">Cancel</button></div>', target)}
</section>`;
}

function accountCard(m: PhonePageModel, a: AccountView): string {
  const number = { msisdn: a.msisdn };
  const checked = (on: boolean) => (on ? ' checked' : '');
  const algorithmOptions = (['EC', 'RSA'] as const)
    .map((alg) => `<option value="${alg}"${alg === a.algorithm ? ' selected' : ''}>${alg === 'EC' ? 'EC P-256' : 'RSA 2048'}</option>`)
    .join('');
  return `<section class="card">
<p><strong>+${h(a.msisdn)}</strong> · serial <code>${h(a.serial)}</code> · ${a.algorithm} key · activated ${h(a.activatedAt)}</p>
${form(
  m,
  'methods',
  `<label><input type="checkbox" name="sim" value="on"${checked(a.sim)}> Mobile ID SIM</label>
<label><input type="checkbox" name="app" value="on"${checked(a.app)}> Mobile ID App</label>
<button class="secondary">Save methods</button>`,
  number,
)}
${form(
  m,
  'reactivate',
  `<label>Key <select name="algorithm">${algorithmOptions}</select></label>
<button class="secondary">Re-activate (new key and serial)</button>`,
  number,
)}
</section>`;
}

function accountsTable(m: PhonePageModel): string {
  if (m.accounts.length === 0) return '<p class="meta">No number has been used yet.</p>';
  const rows = m.accounts
    .map(
      (a) =>
        `<tr><td><a href="${h(m.basePath)}/phone?msisdn=${h(a.msisdn)}">+${h(a.msisdn)}</a></td><td><code>${h(a.serial)}</code></td><td>${a.algorithm}</td><td>${a.sim ? 'yes' : 'no'}</td><td>${a.app ? 'yes' : 'no'}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>Number</th><th>Serial</th><th>Key</th><th>SIM</th><th>App</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function testNumbers(): string {
  const faults = Object.entries(FAULTS)
    .map(([code, f]) => `<code>+41000092${code}</code> ${f.reason}`)
    .join(' · ');
  return `<p class="meta"><code>+41700092501</code> signs at once (EC) · <code>+41700092502</code> signs at once (RSA) · every other number waits here.</p>
<p class="meta">Fault test numbers: ${faults}</p>`;
}

export function renderPhonePage(m: PhonePageModel): string {
  const base = h(m.basePath);
  const pending = m.pending.length
    ? m.pending.map((p) => pendingCard(m, p)).join('\n')
    : '<p class="meta">Nothing is waiting for confirmation.</p>';
  const messages = m.messages.length
    ? `<h2>Messages</h2>${m.messages
        .map((msg) => `<section class="card"><p class="meta">+${h(msg.msisdn)} · ${h(msg.at)}</p>${h(msg.message)}</section>`)
        .join('')}`
    : '';
  const refresh = `${base}/phone${m.msisdn ? `?msisdn=${h(m.msisdn)}` : ''}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mobile ID virtual phone</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>Mobile ID virtual phone</h1>
<p class="sub">Sandbox of the Mobile ID service: requests sent to it wait here for a person to confirm.</p>
${m.notice ? `<p class="notice" role="status">${h(m.notice)}</p>` : ''}
<form method="get" action="${base}/phone" class="row">
<label>Number <input type="text" name="msisdn" value="${m.msisdn ? `+${h(m.msisdn)}` : ''}" placeholder="+41791234567"></label>
<button class="secondary">Show</button>
<a href="${refresh}">Refresh</a>${m.msisdn ? ` · <a href="${base}/phone">All numbers</a>` : ''}
</form>
<h2>Waiting for confirmation</h2>
${pending}
${m.account ? `<h2>Account</h2>${accountCard(m, m.account)}` : ''}
${messages}
<h2>Known numbers</h2>
${accountsTable(m)}
<h2>Test numbers</h2>
${testNumbers()}
</main>
</body>
</html>`;
}
