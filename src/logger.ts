/**
 * Structured JSON logs (pino). Secrets are redacted by path; phone and AHV numbers are masked
 * wherever they appear in a logged string.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

// Explicit paths only: wildcard paths make every log line several times more expensive.
const REDACT = [
  'password', 'secret', 'client_secret', 'code_verifier', 'AP_PWD', 'privateKey', 'private_jwk',
  'authorization', 'cookie', 'headers.authorization', 'headers.cookie',
  'req.headers.authorization', 'req.headers.cookie', 'body.client_secret', 'body.password',
  'ahv_number', 'body.ahv_number', 'vn', 'vn_encrypted',
];

/** Mask anything that looks like a phone number (7+ digits) or an AHV number (756.xxxx.xxxx.xx). */
export function maskPersonalNumbers(text: string): string {
  return text
    .replace(/756[.\s]?\d{4}[.\s]?\d{4}[.\s]?\d{2}/g, '756.****.****.**')
    .replace(/(\+?\d{2,4})[\d\s]{5,}(\d{2})/g, (_m, head: string, tail: string) => `${head}*****${tail}`);
}

/** The password of a connection URL as written and decoded, to be kept out of anything shown. */
export function urlPasswords(value: string): string[] {
  try {
    const { password } = new URL(value);
    return password ? [password, decodeURIComponent(password)] : [];
  } catch {
    return [];
  }
}

/**
 * Passwords out of a text (a driver's message, a start-up error): `scheme://user:password@`,
 * `password=…`, and the given ones (of 4 characters or more) wherever they appear.
 */
export function withoutSecrets(text: string, secrets: readonly string[] = [], censor = '[redacted]'): string {
  let out = text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*:)[^@/\s]*@/gi, `$1${censor}@`)
    .replace(/(password["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;}]+)/gi, `$1${censor}`);
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join(censor);
  return out;
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'servicecore-login' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        logMethod(args, method) {
          const masked = args.map((a) => (typeof a === 'string' ? maskPersonalNumbers(a) : a));
          method.apply(this, masked as Parameters<typeof method>);
        },
      },
    },
    destination as pino.DestinationStream | undefined,
  );
}
