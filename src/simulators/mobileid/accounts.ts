/**
 * Mobile ID accounts of the sandbox: one per MSISDN, created on first use, each with a Mobile ID
 * serial number (MIDCHE + 10 characters), a user key (EC P-256 or RSA 2048) and its certificate,
 * and which methods (SIM, App) are active. Re-activating a number makes a new key and a new serial,
 * exactly what a relying party's serial pin check must notice (reference guide 4.2).
 *
 * One key serves both methods here; the real service keeps one per device, which a relying party
 * cannot observe beyond the certificate it receives.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, randomInt, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

import { readJsonFile, writeFileAtomic } from '../shared/storage.js';
import { INSTANT_SUCCESS_MSISDNS } from './constants.js';
import { fromPem, toPem } from './der.js';
import type { KeyAlgorithm, SandboxPki } from './pki.js';

const generateKeyPairAsync = promisify(generateKeyPair);

export type Method = 'sim' | 'app';

export interface Account {
  /** International number, digits only (no '+'). */
  msisdn: string;
  serial: string;
  algorithm: KeyAlgorithm;
  sim: boolean;
  app: boolean;
  privateKey: KeyObject;
  certDer: Uint8Array;
  activatedAt: Date;
}

export interface AccountSettings {
  algorithm?: KeyAlgorithm;
  sim?: boolean;
  app?: boolean;
}

const ACCOUNTS_FILE = 'accounts.json';
const ACCOUNTS_FORMAT = 'servicecore-mobileid-sandbox-accounts/1';
const SERIAL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

interface StoredAccount {
  msisdn: string;
  serial: string;
  algorithm: KeyAlgorithm;
  sim: boolean;
  app: boolean;
  keyPem: string;
  certPem: string;
  activatedAt: string;
}

interface AccountsFile {
  format: typeof ACCOUNTS_FORMAT;
  accounts: StoredAccount[];
}

export function newMobileIdSerial(): string {
  let s = 'MIDCHE';
  for (let i = 0; i < 10; i++) s += SERIAL_ALPHABET[randomInt(SERIAL_ALPHABET.length)];
  return s;
}

async function generateUserKey(algorithm: KeyAlgorithm): Promise<KeyObject> {
  const pair =
    algorithm === 'EC'
      ? await generateKeyPairAsync('ec', { namedCurve: 'P-256' })
      : await generateKeyPairAsync('rsa', { modulusLength: 2048 });
  return pair.privateKey;
}

/** Defaults of a number never seen before: the success test numbers are SIM-only (as recorded). */
function defaultSettings(msisdn: string): Required<AccountSettings> {
  const instant = INSTANT_SUCCESS_MSISDNS[msisdn];
  if (instant) return { algorithm: instant, sim: true, app: false };
  return { algorithm: 'EC', sim: true, app: true };
}

export class AccountStore {
  private readonly accounts = new Map<string, Account>();
  private readonly creating = new Map<string, Promise<Account>>();
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly pki: SandboxPki,
    private readonly dir: string | undefined,
    private readonly now: () => Date,
  ) {}

  static async open(pki: SandboxPki, dir: string | undefined, now: () => Date): Promise<AccountStore> {
    const store = new AccountStore(pki, dir, now);
    if (dir) {
      const file = await readJsonFile<AccountsFile>(dir, ACCOUNTS_FILE);
      for (const a of file?.format === ACCOUNTS_FORMAT ? file.accounts : []) {
        store.accounts.set(a.msisdn, {
          msisdn: a.msisdn,
          serial: a.serial,
          algorithm: a.algorithm,
          sim: a.sim,
          app: a.app,
          privateKey: createPrivateKey(a.keyPem),
          certDer: fromPem(a.certPem),
          activatedAt: new Date(a.activatedAt),
        });
      }
    }
    return store;
  }

  find(msisdn: string): Account | undefined {
    return this.accounts.get(msisdn);
  }

  list(): Account[] {
    return [...this.accounts.values()].sort((a, b) => a.msisdn.localeCompare(b.msisdn));
  }

  /** The account of a number, activated on first use. */
  async getOrCreate(msisdn: string): Promise<Account> {
    // No await before activate(): two concurrent first uses must share one activation.
    const existing = this.accounts.get(msisdn);
    if (existing) return existing;
    return this.creating.get(msisdn) ?? this.activate(msisdn, defaultSettings(msisdn));
  }

  /** New key, new certificate, new Mobile ID serial; settings default to the previous ones. */
  async reactivate(msisdn: string, settings: AccountSettings = {}): Promise<Account> {
    await this.creating.get(msisdn);
    const previous = this.accounts.get(msisdn);
    const base = previous ? { algorithm: previous.algorithm, sim: previous.sim, app: previous.app } : defaultSettings(msisdn);
    return this.activate(msisdn, { ...base, ...definedOnly(settings) });
  }

  /** Switch the SIM / App methods on or off without a new key. */
  async setMethods(msisdn: string, methods: { sim: boolean; app: boolean }): Promise<Account> {
    const account = await this.getOrCreate(msisdn);
    account.sim = methods.sim;
    account.app = methods.app;
    await this.persist();
    return account;
  }

  private activate(msisdn: string, settings: Required<AccountSettings>): Promise<Account> {
    const pending = (async () => {
      const privateKey = await generateUserKey(settings.algorithm);
      const serial = newMobileIdSerial();
      const activatedAt = this.now();
      const certDer = this.pki.issueUserCertificate({
        mobileIdSerial: serial,
        publicKey: createPublicKey(privateKey),
        algorithm: settings.algorithm,
        notBefore: activatedAt,
      });
      const account: Account = { msisdn, serial, ...settings, privateKey, certDer, activatedAt };
      this.accounts.set(msisdn, account);
      await this.persist();
      return account;
    })();
    this.creating.set(msisdn, pending);
    return pending.finally(() => {
      if (this.creating.get(msisdn) === pending) this.creating.delete(msisdn);
    });
  }

  private persist(): Promise<void> {
    const dir = this.dir;
    if (!dir) return Promise.resolve();
    const file: AccountsFile = {
      format: ACCOUNTS_FORMAT,
      accounts: this.list().map((a) => ({
        msisdn: a.msisdn,
        serial: a.serial,
        algorithm: a.algorithm,
        sim: a.sim,
        app: a.app,
        keyPem: String(a.privateKey.export({ type: 'pkcs8', format: 'pem' })),
        certPem: toPem('CERTIFICATE', a.certDer),
        activatedAt: a.activatedAt.toISOString(),
      })),
    };
    const content = JSON.stringify(file, null, 2);
    const next = this.saving.catch(() => undefined).then(() => writeFileAtomic(dir, ACCOUNTS_FILE, content, 0o600));
    this.saving = next;
    return next;
  }
}

function definedOnly(settings: AccountSettings): AccountSettings {
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as AccountSettings;
}
