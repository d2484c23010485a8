/**
 * Start-up in one place: configuration → database (+ migrations) → keys → provider → app → listen.
 * Used by `npm start` (src/main.ts), the tests and the benchmarks.
 */
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

import type Provider from 'oidc-provider';

import { accountClaims } from './accounts/index.js';
import { ADMIN_MESSAGES, adminRouters, ensureAdminClient } from './admin/index.js';
import { composeApp } from './app.js';
import type { Config } from './config.js';
import { createDb, isEmbedded, migrate, type Db } from './db/index.js';
import { logFailure } from './db/unavailable.js';
import { createLogger, type Logger } from './logger.js';
import { startSweeper } from './oidc/adapter.js';
import { loadTokenSubject } from './oidc/token-subject.js';
import { softMemoryLimit } from './memory.js';
import { ensureKeys, liveJwks, loadJwks } from './oidc/keys.js';
import { createProvider } from './oidc/provider.js';
import { mobileIdRoutes } from './interactions/mobileid.js';
import { MOBILEID_MESSAGES } from './mobileid/index.js';
import { geofencedLevels, maxAuthenticationAge, supportedAcrValues } from './qor/levels.js';
import { CatalogueCache, corroboratedAhvChecks, loadQorPolicy, validVerifications, loginFactsFromAmr, qorClaims, seedPolicy, validateCatalogue } from './qor/index.js';
import { continueLogin, firstFactor, stepUpPath, stepUpRoutes, type StepUpDeps } from './interactions/stepup.js';
import { MethodRegistry, type VerificationMethod } from './verification/index.js';
import { AhvNumberCipher, confirmedAhvNumber, formatAhvn13 } from './verification/ahv/index.js';
import { setUpMobileId } from './mobileid/setup.js';
import { verificationFeatures } from './interactions/verification/index.js';
import { demoRpRouter, ensureDemoClient } from './sandbox/demo-rp.js';
import { startSandbox, type Sandbox } from './sandbox/simulators.js';
import { addMessages } from './web/i18n.js';

export interface RunningServer {
  url: string;
  provider: Provider;
  db: Db;
  log: Logger;
  server: http.Server;
  /** The simulators, when running in sandbox mode. */
  sandbox: Sandbox | undefined;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Use this database instead of creating one from the configuration (tests). */
  db?: Db;
  log?: Logger;
  /** Verification methods to offer on the step-up page (each counts only if policies/qor.json names it). */
  verificationMethods?: VerificationMethod[];
  /** How often the published JWKS is read again from the database (default 30 s). */
  jwksRefreshMs?: number;
}

export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const log = opts.log ?? createLogger(config.logLevel);
  const stopHeapLimit = softMemoryLimit(config.memorySoftLimitMb, log);
  for (const name of config.insecureDefaults) {
    log.warn(`${name} is not set: using a development default. Set it before exposing this server.`);
  }
  const ownsDb = !opts.db;
  const db = opts.db ?? createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: config.databasePoolMax, log });
  const applied = await migrate(db);
  if (applied.length) log.info({ migrations: applied }, 'database migrated');

  const qorPolicy = loadQorPolicy(path.join(config.policyDir, 'qor.json'));
  const seeded = await seedPolicy(db, qorPolicy);
  if (seeded.length) log.info({ rows: seeded }, 'default policy seeded');
  const catalogue = new CatalogueCache(db);
  const startCatalogue = await catalogue.get();
  validateCatalogue(startCatalogue);
  geofencedLevels(startCatalogue);
  const methods = new MethodRegistry(qorPolicy.verification.methods);
  for (const method of opts.verificationMethods ?? []) methods.register(method);

  await ensureKeys(db, config.keyEncryptionKey);
  const jwks = await loadJwks(db, config.keyEncryptionKey);
  const publishedJwks = liveJwks(db, opts.jwksRefreshMs ?? 30_000, (err) => log.warn({ err }, 'reading the published keys failed; publishing the last ones'));
  await publishedJwks.refresh();

  addMessages(MOBILEID_MESSAGES);
  addMessages(ADMIN_MESSAGES);
  const sandbox = config.sandbox && !config.mobileId.url ? await startSandbox(config) : undefined;
  const mobileId = setUpMobileId({
    config: config.mobileId,
    url: config.mobileId.url ?? sandbox!.mobileIdUrl,
    extraTrustAnchorsPem: sandbox ? [sandbox.mobileIdRootPem] : [],
    policyDir: config.policyDir,
    db,
    log,
  });

  const features = await verificationFeatures({ config, db, log, sandbox });
  for (const feature of features) {
    if (feature.messages) addMessages(feature.messages);
    for (const method of feature.methods) methods.register(method);
  }
  const acrValues = supportedAcrValues(startCatalogue);
  const ahvCipher = new AhvNumberCipher(config.keyEncryptionKey);
  const provider = createProvider({
    config,
    db,
    jwks,
    log,
    acrValues,
    maxAuthenticationAge: async (acr) => maxAuthenticationAge(await catalogue.get(), acr),
    accounts: {
      findAccount: async (sub, context) => {
        const [subject, policy] = await Promise.all([loadTokenSubject(db, sub, context.grantId), catalogue.get()]);
        if (!subject) return undefined;
        const { account, verifications, serial, login } = subject;
        // The serial (and the geofenced levels, the location) of the login behind this token's
        // grant, never the account's latest login: a login on a re-activated Mobile ID, or from
        // elsewhere, must not change what an earlier grant's tokens say.
        const facts = loginFactsFromAmr(context.amr ?? account.lastLogin?.amr, serial ?? '', login.geofencedLevels);
        const qor = qorClaims(policy, verifications, facts, {
          values: context.requested,
          essential: false,
          minimum: context.minimum,
        });
        // The AHV number is read (and decrypted) only for a client allowed it that asked for it.
        // Only the number of a check about the person another verification proved.
        const now = new Date();
        const corroborated = context.ahvNumber ? corroboratedAhvChecks(validVerifications(verifications, { now, serial: facts.serial })) : [];
        const ahv = corroborated.length
          ? await confirmedAhvNumber(db, ahvCipher, sub, { now, serial: facts.serial, verificationIds: corroborated.map((v) => v.id) })
          : undefined;
        return { ...accountClaims(account, login.location), ...qor, ...(ahv ? { ahv_number: formatAhvn13(ahv) } : {}) };
      },
    },
  });
  const stepUp: StepUpDeps = {
    db,
    provider,
    methods,
    issuer: config.issuer,
    catalogue: () => catalogue.get(),
    completedLogin: async (uid, loginId) => {
      const login = await mobileId.logins.completed(loginId, uid);
      return login && firstFactor(login.accountId, login);
    },
  };
  composeApp({
    config,
    db,
    log,
    provider,
    jwks: publishedJwks,
    extendInteractions: [
      mobileIdRoutes({
        db,
        provider,
        logins: mobileId.logins,
        policy: mobileId.policy,
        levels: async () => geofencedLevels(await catalogue.get()),
        stepUpPath,
        continueLogin: (h, ctx, details, login, loginId, writes) => continueLogin(stepUp, h, ctx, details, login, loginId, writes),
        serialPolicy: config.mobileId.serialPolicy,
        pagePollMs: Math.min(2000, config.mobileId.pollIntervalMs),
      }),
      stepUpRoutes(
        stepUp,
        features.flatMap((f) => (f.routes ? [f.routes] : [])),
      ),
    ],
    routers: [
      ...adminRouters({ config, db, provider, log, catalogue }),
      ...features.flatMap((f) => f.routers ?? []),
      ...(sandbox ? [demoRpRouter({ config, phoneUrl: sandbox.phoneUrl, acrValues })] : []),
    ],
  });
  await ensureAdminClient(provider, db, config, { log, acrValues });
  if (sandbox) await ensureDemoClient(provider, db, config);

  const stopSweeper = startSweeper(db, config.sweepIntervalSeconds, logFailure(log, 'sweeping expired rows failed'));

  const server = http.createServer(provider.callback());
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
  log.info({ url, issuer: config.issuer, database: isEmbedded(db) ? 'embedded' : 'postgres', sandbox: config.sandbox }, 'listening');
  if (sandbox) {
    log.info({ demo: `${config.issuer}/sandbox`, phone: sandbox.phoneUrl }, 'sandbox: open the demo service to log in; approve other numbers on the virtual phone');
  }

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      stopSweeper();
      publishedJwks.stop();
      stopHeapLimit();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 10_000).unref();
      });
      await mobileId.client.close();
      await Promise.all(features.map((f) => f.close?.()));
      await sandbox?.close();
      if (ownsDb) await db.destroy();
    })();
    return closing;
  };

  return { url, provider, db, log, server, sandbox, close };
}
