/**
 * The page standing in for the Freja eID app: plain server-rendered HTML, no scripts, no
 * third-party resources. Opening it with `?transactionReference=<authRef>` is what scanning the QR
 * code (or tapping the link on the phone) does: the request is delivered to the "app" and shown
 * with an approve form (who approves: names, date of birth, registration level, SSN) and a
 * decline button. Without a reference it lists every pending request.
 */
import { escapeHtml as h } from '../shared/http.js';
import { LEVELS, type Person, type Transaction } from './transactions.js';

export interface AppPageModel {
  basePath: string;
  formToken: string;
  now: Date;
  notice: string | undefined;
  /** The request the page was opened for, if any. */
  focus: Transaction | undefined;
  pending: Transaction[];
  person: Person;
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f1f0fa;color:#1f1d2b}
main{max-width:640px;margin:0 auto;padding:1rem 1.25rem 3rem}
h1{font-size:1.4rem;margin:.5rem 0 0}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.sub{color:#5b5870;margin:.25rem 0 1rem}
.card{background:#fff;border-radius:12px;padding:1rem;margin:.75rem 0;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.meta{color:#5b5870;font-size:.9rem}
.notice{background:#e9f6ec;border:1px solid #9bd1a4;padding:.5rem .75rem;border-radius:6px}
label{display:block;margin:.4rem 0}input,select{font-size:1rem;padding:.3rem;margin-left:.25rem}
button{padding:.5rem 1.1rem;border-radius:6px;border:1px solid #4b2fbf;background:#4b2fbf;color:#fff;cursor:pointer;margin-right:.5rem}
button.secondary{background:#fff;color:#4b2fbf}
code{font-size:.8rem;word-break:break-all}
`;

function hidden(name: string, value: string): string {
  return `<input type="hidden" name="${h(name)}" value="${h(value)}">`;
}

function secondsLeft(m: AppPageModel, t: Transaction): number {
  return Math.max(0, Math.round((t.expiresAt.getTime() - m.now.getTime()) / 1000));
}

function requestCard(m: AppPageModel, t: Transaction): string {
  const p = m.person;
  const levelOptions = LEVELS.map((l) => `<option value="${l}"${l === p.registrationLevel ? ' selected' : ''}>${l}</option>`).join('');
  const common = hidden('token', m.formToken) + hidden('authRef', t.authRef);
  return `<section class="card" data-auth-ref="${h(t.authRef)}">
<p><strong>A service asks you to identify yourself.</strong></p>
<p class="meta">Status ${h(t.status)} · at least ${h(t.minRegistrationLevel)} · shares: ${h(t.attributes.join(', ') || 'nothing')} · ${secondsLeft(m, t)} s left</p>
<p class="meta">Reference <code>${h(t.authRef.slice(0, 16))}…</code></p>
<form method="post" action="${h(m.basePath)}/app/approve">${common}
<label>Given names <input name="givenNames" value="${h(p.givenNames)}" required></label>
<label>Surname <input name="surname" value="${h(p.surname)}" required></label>
<label>Date of birth <input name="dateOfBirth" type="date" value="${h(p.dateOfBirth)}" required></label>
<label>Registration level <select name="registrationLevel">${levelOptions}</select></label>
<label>SSN country <input name="ssnCountry" size="2" maxlength="2" value="${h(p.ssn?.country ?? '')}"></label>
<label>SSN <input name="ssn" value="${h(p.ssn?.ssn ?? '')}"> <span class="meta">(optional; not every country has one)</span></label>
<button type="submit">Approve</button>
</form>
<form method="post" action="${h(m.basePath)}/app/decline">${common}<button type="submit" class="secondary">Decline</button></form>
</section>`;
}

export function renderAppPage(m: AppPageModel): string {
  const focus = m.focus;
  const list = focus ? [focus] : m.pending;
  const body = list.length
    ? list.map((t) => (t.status === 'STARTED' || t.status === 'DELIVERED_TO_MOBILE' ? requestCard(m, t) : `<section class="card"><p>This request is ${h(t.status)}.</p></section>`)).join('\n')
    : '<p class="card">No pending requests. Start a Freja eID verification on the login page, then scan its QR code or open its link.</p>';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Freja eID (sandbox app)</title><style>${STYLE}</style></head>
<body><main>
<h1>Freja eID — sandbox app</h1>
<p class="sub">Stands in for the Freja eID app: approve or decline the requests of the relying party.</p>
${m.notice ? `<p class="notice" role="status">${h(m.notice)}</p>` : ''}
${body}
${focus ? `<p><a href="${h(m.basePath)}/app">All pending requests</a></p>` : ''}
</main></body></html>`;
}
