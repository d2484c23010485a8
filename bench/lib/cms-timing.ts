/**
 * The cost of one CMS verification (`verifyCmsSignature`, what the server does for every Mobile ID
 * login), timed directly in this process: signatures of the simulator (EC and RSA user keys, the
 * sandbox chain: RSA-PSS 4096 root, RSA 3072 issuing CA) and, when the recorded Swisscom vectors
 * are next to the repository (../shared/vectors/swisscom-mobileid), a real signature.
 *
 * CPU time is the process's (all threads): WebCrypto runs the signature checks on libuv's thread
 * pool, which a profile of the main thread does not show.
 */
import fs from 'node:fs';
import path from 'node:path';

import { CertificateStore } from '../../src/mobileid/certificates.js';
import { verifyCmsSignature, type VerifyCmsOptions } from '../../src/mobileid/cms.js';
import { buildDtbd } from '../../src/mobileid/dtbd.js';
import { AccountStore } from '../../src/simulators/mobileid/accounts.js';
import { buildSignedData } from '../../src/simulators/mobileid/cms.js';
import { loadOrCreatePki } from '../../src/simulators/mobileid/pki.js';
import { ROOT } from './children.js';

export interface CmsTiming {
  name: string;
  /** Key and chain of the signature. */
  description: string;
  iterations: number;
  /** Per verification, ms. */
  wallMs: number;
  cpuMs: number;
  /** Bytes of the Base64Signature. */
  base64Length: number;
}

interface Case {
  name: string;
  description: string;
  base64: string;
  options: VerifyCmsOptions;
}

const VECTORS = path.resolve(ROOT, '..', 'shared', 'vectors', 'swisscom-mobileid');

async function cases(dtbdPrefix: string): Promise<Case[]> {
  const now = () => new Date();
  const pki = await loadOrCreatePki({ dir: undefined, now });
  const accounts = await AccountStore.open(pki, undefined, now);
  const anchors = CertificateStore.fromPem(pki.rootCaPem);
  const out: Case[] = [];
  for (const [msisdn, key] of [
    ['41700092501', 'EC P-256'],
    ['41700092502', 'RSA 2048'],
  ] as const) {
    const account = await accounts.getOrCreate(msisdn);
    const dtbd = buildDtbd({ prefix: dtbdPrefix, service: 'Benchmark', language: 'en' }).text;
    const cms = buildSignedData({
      content: dtbd,
      signerKey: account.privateKey,
      algorithm: account.algorithm,
      certificates: [account.certDer, pki.issuing.certDer, pki.root.certDer],
    });
    out.push({
      name: `simulator ${key === 'EC P-256' ? 'EC' : 'RSA'} (${msisdn})`,
      description: `user ${key} ← issuing RSA 3072 ← root RSA-PSS 4096 (sandbox)`,
      base64: Buffer.from(cms).toString('base64'),
      options: { expectedDtbd: dtbd, trustAnchors: anchors },
    });
  }
  const recorded = path.join(VECTORS, 'cms', 'postman-2024-ec-rubin4-status.b64');
  const root4 = path.join(VECTORS, 'certs', 'Swisscom_Root_CA_4.pem');
  if (fs.existsSync(recorded) && fs.existsSync(root4)) {
    out.push({
      name: 'recorded Swisscom EC (2024)',
      description: 'user EC P-256 ← Rubin CA 4 ← Swisscom Root CA 4 (RSA-PSS), as recorded',
      base64: fs.readFileSync(recorded, 'utf8').trim(),
      options: {
        expectedDtbd: 'Test: Sign in from Postman?',
        trustAnchors: CertificateStore.fromPem(fs.readFileSync(root4, 'utf8')),
        now: new Date('2024-07-02T08:05:00Z'),
      },
    });
  }
  return out;
}

/** Verify each signature `iterations` times one after the other (after a warm-up) and time it. */
export async function timeCmsVerification(opts: { dtbdPrefix: string; iterations: number; warmup?: number }): Promise<CmsTiming[]> {
  const results: CmsTiming[] = [];
  for (const c of await cases(opts.dtbdPrefix)) {
    const verified = await verifyCmsSignature(c.base64, c.options);
    if (!verified.mobileIdSerial) throw new Error(`${c.name}: verified without a Mobile ID serial`);
    for (let i = 0; i < (opts.warmup ?? 30); i++) await verifyCmsSignature(c.base64, c.options);
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < opts.iterations; i++) await verifyCmsSignature(c.base64, c.options);
    const wall = performance.now() - started;
    const used = process.cpuUsage(cpu);
    results.push({
      name: c.name,
      description: c.description,
      iterations: opts.iterations,
      wallMs: Math.round((wall / opts.iterations) * 1000) / 1000,
      cpuMs: Math.round(((used.user + used.system) / 1000 / opts.iterations) * 1000) / 1000,
      base64Length: c.base64.length,
    });
  }
  return results;
}
