/** The console's translations (messages.json) and the sentences of write failures. */
import type { Locale } from '../config.js';
import { translate } from '../web/i18n.js';
import type { WriteFailure } from './policy-rows.js';
import type { FieldError } from './rows.js';

export { default as ADMIN_MESSAGES } from './messages.json' with { type: 'json' };

export interface FieldMessage {
  field: string;
  code: string;
  message: string;
}

export function fieldMessages(fields: readonly FieldError[], locale: Locale): FieldMessage[] {
  return fields.map((f) => ({ field: f.field, code: f.code, message: translate(locale, `admin.error.${f.code}`, f.params) }));
}

/** One sentence for a failure that concerns the whole row (in use, not found). */
export function failureMessage(failure: WriteFailure, locale: Locale): string {
  switch (failure.error) {
    case 'in_use':
      return translate(locale, 'admin.error.in_use', { refs: failure.referencedBy.join(', ') });
    case 'not_found':
      return translate(locale, 'admin.error.not_found');
    default:
      return translate(locale, 'admin.form.invalid');
  }
}
