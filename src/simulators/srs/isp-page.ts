/**
 * The identification partner's page in the simulator: Swisscom's "Define Identity" test form.
 * The tester enters the identity data the identification proves and picks the status of the
 * identity; the simulator records it and calls the service provider back. No scripts.
 */
import { escapeHtml as h } from '../shared/http.js';
import { FORM_STATUSES, STATUS, type SimIdentification } from './state.js';

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#eef1f4;color:#1d2329}
main{max-width:560px;margin:0 auto;padding:1rem 1.25rem 3rem}
h1{font-size:1.4rem;margin:.5rem 0}.sub{color:#56606b;margin:.25rem 0 1rem}
.card{background:#fff;border-radius:10px;padding:1rem 1.25rem;margin:.75rem 0;box-shadow:0 1px 2px rgba(0,0,0,.08)}
label{display:block;margin:.6rem 0 .2rem;font-weight:600}
input[type=text],input[type=date],select{width:100%;padding:.45rem;border:1px solid #b8c0c8;border-radius:6px;font-size:1rem;box-sizing:border-box}
label.check{font-weight:normal}
button{margin-top:1rem;padding:.55rem 1.2rem;border-radius:6px;border:1px solid #0b5cab;background:#0b5cab;color:#fff;cursor:pointer;font-size:1rem}
.notice{background:#e7f5e9;border:1px solid #9bd1a4;padding:.5rem .75rem;border-radius:6px}
.meta{color:#56606b;font-size:.9rem}code{font-size:.85rem}
`;

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)} · SRS simulator</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

function field(name: string, label: string, value: string, type = 'text'): string {
  return `<label for="${name}">${h(label)}</label><input id="${name}" name="${name}" type="${type}" value="${h(value)}">`;
}

export function renderDefineIdentity(i: SimIdentification, action: string, notice?: string, termsPending = false): string {
  const v = i.identity ?? {
    firstName: i.initial.firstName ?? '',
    lastName: i.initial.lastName ?? '',
    dob: i.initial.dob ?? '',
    nationality: i.initial.nationality ?? '',
    email: i.initial.email ?? '',
    mobile: i.mobile,
    placeOfBirth: '',
    idCardNumber: '',
    validUntil: '',
  };
  const current = i.statuses[i.statuses.length - 1]!.status;
  const options = FORM_STATUSES.map((s) => `<option value="${h(s)}"${s === STATUS.dataReady ? ' selected' : ''}>${h(s)}</option>`).join('');
  const history = i.statuses.map((s) => `<li><code>${h(s.status)}</code> <span class="meta">${h(s.date)}</span></li>`).join('');
  return page(
    'Define Identity',
    `<h1>Define Identity</h1>
<p class="sub">Swisscom SRS test environment: instead of a real ${h(i.method)} identification with ${h(i.issuer)} (LoA ${i.loa}), enter the identity data and pick the status of the identity.</p>
${notice ? `<p class="notice" role="status">${h(notice)}</p>` : ''}
<form class="card" method="post" action="${h(action)}">
${field('firstName', 'FirstName', v.firstName)}
${field('lastName', 'LastName', v.lastName)}
${field('email', 'Email Address', v.email)}
${field('mobile', 'Mobile phone number', v.mobile)}
${field('dob', 'Date of birth', v.dob, 'date')}
${field('placeOfBirth', 'Place of birth', v.placeOfBirth)}
${field('nationality', 'Nationality', v.nationality)}
${field('idCardNumber', 'ID card number', v.idCardNumber)}
${field('validUntil', 'Valid until', v.validUntil, 'date')}
<label for="status">Status of identity?</label><select id="status" name="status">${options}</select>
<label class="check"><input type="checkbox" name="termsAccepted" value="1" checked> Terms of use accepted (the link in Swisscom's SMS)</label>
<label class="check"><input type="checkbox" name="callback" value="1" checked> Call the service provider back (signed JWT)</label>
<button type="submit">Submit</button>
</form>
${termsPending ? `<form class="card" method="post" action="${h(action)}/terms"><p>The evidence is registered; Swisscom has sent the terms of use by SMS.</p><button type="submit">Accept the terms of use</button></form>` : ''}
<section class="card"><p class="meta">refId <code>${h(i.refId)}</code> · current status <code>${h(current)}</code>${
      i.lastCallback ? ` · last callback ${h(i.lastCallback.result)} at ${h(i.lastCallback.at)}` : ''
    }</p><ol>${history}</ol></section>`,
  );
}

export function renderNotFound(): string {
  return page('Unknown identification', '<h1>Unknown identification</h1><p>This link does not belong to an identification of the simulator (it may have been restarted).</p>');
}
