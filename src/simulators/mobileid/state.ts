/** What the REST service and the virtual phone share, and the one step they both take: signing. */
import type { AccountStore, Method } from './accounts.js';
import { buildSignedData } from './cms.js';
import { geofencingJson, type GeofencingReport } from './geofencing.js';
import type { SandboxPki } from './pki.js';
import type { SignatureTransaction, TransactionStore } from './transactions.js';

export interface SimulatorState {
  pki: SandboxPki;
  accounts: AccountStore;
  transactions: TransactionStore;
  now: () => Date;
  /** How long a request waits for the person, per method. */
  pendingTimeoutMs: Record<Method, number>;
  /** The signature profile the answers name per method (an AP's profile mapping). */
  reportedProfiles: Record<Method, string>;
}

/** The person confirmed: sign the DTBD with the number's current key and end the transaction. */
export async function completeSignature(
  state: SimulatorState,
  tx: SignatureTransaction,
  report: GeofencingReport,
): Promise<void> {
  const account = await state.accounts.getOrCreate(tx.msisdn.digits);
  const cms = buildSignedData({
    content: tx.dtbd,
    signerKey: account.privateKey,
    algorithm: account.algorithm,
    certificates: [account.certDer, state.pki.issuing.certDer, state.pki.root.certDer],
  });
  state.transactions.finish(tx, {
    kind: 'signed',
    signature: Buffer.from(cms).toString('base64'),
    geofencing: tx.geofencingRequested ? geofencingJson(report, state.now()) : undefined,
  });
}
