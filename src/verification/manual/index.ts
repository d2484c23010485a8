/**
 * In-person identification at a counter ("Manual" in the QoR model): the user enters the
 * identity to check and gets a document with a QR code; a verifier at the desk scans it (or types
 * its short code), compares the identity document, records it and approves or rejects.
 *
 * - `counterServiceFor(config, db)`: the use cases of both sides (one per process side is fine:
 *   all state is in Postgres).
 * - `counterMethod`: the step-up page's method.
 * - `counterPdf` / `qrSvg`: the document.
 * - `COUNTER_MESSAGES`: the user pages' translations.
 */
import path from 'node:path';

import type { Config } from '../../config.js';
import type { Db } from '../../db/index.js';
import { loadQorPolicy } from '../../qor/index.js';
import { counterKeys } from './reference.js';
import { COUNTER_METHOD_ID, CounterService } from './service.js';

export { default as COUNTER_MESSAGES } from './messages.json' with { type: 'json' };
export { counterMethod } from './method.js';
export { counterPdf, qrSvg, type CounterDocument } from './document.js';
export { COUNTER_METHOD_ID, CounterService, type DecisionRefusal, type OpenRefusal } from './service.js';
export { DOCUMENT_TYPES, REJECT_REASONS, type DocumentErrors, type DocumentField, type RejectReason } from './document-form.js';
export { checkDocumentMac, checkOfferMac, counterKeys, formatShortCode, isUuid, type CounterKeys } from './reference.js';
export type { CaseState, CounterCase, DocumentRecord } from './cases.js';

/** The counter's service, configured from the configuration and the QoR policy file. */
export function counterServiceFor(config: Config, db: Db): { service: CounterService; keys: ReturnType<typeof counterKeys> } {
  const policy = loadQorPolicy(path.join(config.policyDir, 'qor.json'));
  const keys = counterKeys(config.keyEncryptionKey);
  const service = new CounterService({
    db,
    keys,
    caseTtlDays: config.counter.caseTtlDays,
    lockMinutes: config.counter.lockMinutes,
    validityDays: policy.verification.validityDays,
    kind: policy.verification.methods[COUNTER_METHOD_ID] ?? 'manual',
  });
  return { service, keys };
}
