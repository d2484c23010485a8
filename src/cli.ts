/**
 * Administration commands (see README "Commands"):
 *   npm run migrate
 *   npm run cli -- clients add --name "My app" --redirect-uri https://app.example.ch/cb [--public] [--post-logout-uri URL] [--acr VALUE] [--ahv-claim]
 *   npm run cli -- clients add --name "Batch job" --grant client_credentials [--scope "..."]
 *   npm run cli -- clients list | clients remove CLIENT_ID
 *   npm run cli -- keys list | keys rotate
 *   npm run cli -- admin grant +41791234567 | admin revoke +41791234567 | admin list   [--role verifier]
 * With the embedded database (no DATABASE_URL) a command refuses to run while a server has DATA_DIR
 * open: PGlite is one process, and both would write the same files.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';

import { loadConfig, type Config } from './config.js';
import { createDb, migrate, type Db } from './db/index.js';
import { grantRole, listRole, revokeRole, ROLES, type Role } from './admin/index.js';
import { AppError } from './errors.js';
import { createLogger } from './logger.js';
import { deleteClient, listClients, registerClient } from './oidc/clients.js';
import { ensureKeys, listKeys, loadJwks, rotateKeys } from './oidc/keys.js';
import { createProvider } from './oidc/provider.js';
import { loadCatalogue, loadQorPolicy, seedPolicy } from './qor/index.js';
import { supportedAcrValues } from './qor/levels.js';

const USAGE = `Usage:
  migrate                                   bring the database schema up to date
  clients add --name NAME [--redirect-uri URL ...] [--post-logout-uri URL ...]
              [--public] [--grant TYPE ...] [--scope "a b"] [--acr VALUE ...] [--minimum VALUE] [--client-id ID]
              [--ahv-claim]                 may receive the AHV number (claim ahv_number, scope ahv) when it asks
  clients list
  clients remove CLIENT_ID
  keys list
  keys rotate                               new signing keys; old ones stay published until their tokens expire
  admin grant NUMBER [--role admin|verifier]  give the account of a phone number a role (created if it never logged in)
  admin revoke NUMBER [--role admin|verifier]
  admin list [--role admin|verifier]

With DATABASE_URL the commands work while the server runs. With the embedded database in DATA_DIR
(no DATABASE_URL) only one process can open it: stop the server, run the command, start it again.`;

function roleOf(argv: string[]): { role: Role; rest: string[] } {
  const { values, positionals } = parseArgs({ args: argv, options: { role: { type: 'string', default: 'admin' } }, allowPositionals: true });
  if (!(ROLES as readonly string[]).includes(values.role)) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
  return { role: values.role as Role, rest: positionals };
}

async function adminCommand(config: Config, db: Db, command: string | undefined, argv: string[]): Promise<boolean> {
  const { role, rest } = roleOf(argv);
  const opts = { actor: 'cli', defaultCountryCode: config.mobileId.defaultCountryCode };
  if (command === 'grant' && rest[0]) {
    const r = await grantRole(db, rest[0], role, opts);
    console.log(`${r.changed ? 'granted' : 'already has'} ${role}: account ${r.accountId} (${r.maskedMsisdn})${r.created ? ', created; its Mobile ID is pinned at the first login' : ''}`);
    return true;
  }
  if (command === 'revoke' && rest[0]) {
    const r = await revokeRole(db, rest[0], role, opts);
    console.log(!r ? 'no account has this number' : `${r.changed ? 'revoked' : 'did not have'} ${role}: account ${r.accountId} (${r.maskedMsisdn})`);
    return true;
  }
  if (command === 'list') {
    for (const a of await listRole(db, role)) {
      console.log(`${a.accountId}\t${a.maskedMsisdn}\t${a.lastLoginAt ? `last login ${a.lastLoginAt.toISOString()}` : 'never logged in'}`);
    }
    return true;
  }
  return false;
}

/**
 * The database of the configuration, for one command. With the embedded database (no DATABASE_URL)
 * this fails at once while a server (or another command) has DATA_DIR open: PGlite is one process.
 * knex's own warnings go to stderr as JSON, apart from the command's output.
 */
function openDb(config: Config, command: string): Db {
  return createDb({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolMax: 2,
    log: createLogger(config.logLevel, process.stderr),
    holder: `the command "${command}"`,
  });
}

async function withDb<T>(config: Config, command: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = openDb(config, command);
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

async function addClient(config: Config, db: Db, argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      name: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      'post-logout-uri': { type: 'string', multiple: true },
      public: { type: 'boolean', default: false },
      grant: { type: 'string', multiple: true },
      scope: { type: 'string' },
      acr: { type: 'string', multiple: true },
      'client-id': { type: 'string' },
      minimum: { type: 'string' },
      'ahv-claim': { type: 'boolean', default: false },
    },
  });
  if (!values.name) throw new Error('--name is required');
  await ensureKeys(db, config.keyEncryptionKey);
  await seedPolicy(db, loadQorPolicy(path.join(config.policyDir, 'qor.json')));
  const provider = createProvider({
    config,
    db,
    acrValues: supportedAcrValues(await loadCatalogue(db)),
    jwks: await loadJwks(db, config.keyEncryptionKey),
    log: createLogger('silent'),
    accounts: { findAccount: async () => undefined },
  });
  const registered = await registerClient(provider, db, {
    client_name: values.name,
    ...(values['client-id'] ? { client_id: values['client-id'] } : {}),
    ...(values['redirect-uri'] ? { redirect_uris: values['redirect-uri'] } : {}),
    ...(values['post-logout-uri'] ? { post_logout_redirect_uris: values['post-logout-uri'] } : {}),
    ...(values.grant ? { grant_types: values.grant } : {}),
    ...(values.scope ? { scope: values.scope } : {}),
    ...(values.acr ? { default_acr_values: values.acr } : {}),
    ...(values.minimum ? { minimum_acr: values.minimum } : {}),
    ...(values.public ? { token_endpoint_auth_method: 'none' } : {}),
    ...(values['ahv-claim'] ? { ahv_claim_allowed: true } : {}),
  });
  console.log(`client_id:     ${registered.client_id}`);
  if (registered.client_secret) {
    console.log(`client_secret: ${registered.client_secret}`);
    console.log('Store the secret now: only its hash is kept, it cannot be shown again.');
  } else {
    console.log('public client: no secret; it must use PKCE (S256).');
  }
}

async function run(argv: string[]): Promise<void> {
  const config = loadConfig();
  const [group, command, ...rest] = argv;
  const name = [group, command].filter(Boolean).join(' ');
  if (group === 'migrate') {
    const db = openDb(config, 'migrate');
    try {
      const applied = await migrate(db);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database already up to date');
    } finally {
      await db.destroy();
    }
    return;
  }
  if (group === 'clients' && command === 'add') return withDb(config, name, (db) => addClient(config, db, rest));
  if (group === 'clients' && command === 'list') {
    return withDb(config, name, async (db) => {
      for (const c of await listClients(db)) {
        console.log(`${c.client_id}\t${String(c.client_name ?? '')}\t${c.token_endpoint_auth_method ?? 'client_secret_basic'}\t${(c.redirect_uris ?? []).join(' ')}`);
      }
    });
  }
  if (group === 'clients' && command === 'remove' && rest[0]) {
    return withDb(config, name, async (db) => {
      console.log((await deleteClient(db, rest[0]!)) ? `removed ${rest[0]}` : `no client ${rest[0]}`);
    });
  }
  if (group === 'keys' && command === 'list') {
    return withDb(config, name, async (db) => {
      await ensureKeys(db, config.keyEncryptionKey);
      for (const k of await listKeys(db)) {
        const state = k.retired_at ? `retired, published until ${k.expires_at?.toISOString()}` : 'active';
        console.log(`${k.kid}\t${k.alg}\t${state}`);
      }
    });
  }
  if (group === 'keys' && command === 'rotate') {
    return withDb(config, name, async (db) => {
      await ensureKeys(db, config.keyEncryptionKey);
      const keep = Math.max(config.ttl.accessToken, config.ttl.idToken) + 300;
      const { retired, created } = await rotateKeys(db, config.keyEncryptionKey, keep);
      console.log(`new signing keys: ${created.join(', ')}`);
      console.log(`retired (published for ${keep} s more): ${retired.join(', ')}`);
      console.log('Restart the running instances (one after the other) to sign with the new keys.');
    });
  }
  if (group === 'admin') {
    if (await withDb(config, name, (db) => adminCommand(config, db, command, rest))) return;
  }
  console.error(USAGE);
  process.exitCode = 2;
}

run(process.argv.slice(2)).catch((err: unknown) => {
  const description = (err as { error_description?: unknown }).error_description;
  console.error(typeof description === 'string' ? description : err instanceof AppError ? err.detail ?? err.message : err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
