/**
 * The one error family of the application.
 *
 * Every error that reaches a user carries a stable `code` (for logs, metrics and tests), an HTTP
 * status and a `messageKey` into the locale catalogues (views/locales/*.json). `detail` is for
 * the logs only and must never contain secrets or full phone/AHV numbers.
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly messageKey: string;
  readonly detail: string | undefined;
  readonly params: Record<string, string | number>;

  constructor(opts: {
    code: string;
    status?: number;
    messageKey?: string;
    detail?: string;
    params?: Record<string, string | number>;
    cause?: unknown;
  }) {
    super(opts.detail ? `${opts.code}: ${opts.detail}` : opts.code, { cause: opts.cause });
    this.name = new.target.name;
    this.code = opts.code;
    this.status = opts.status ?? 500;
    this.messageKey = opts.messageKey ?? 'error.generic';
    this.detail = opts.detail;
    this.params = opts.params ?? {};
  }
}

/** A configuration value is missing or invalid; raised at start-up, naming the variable. */
export class ConfigError extends AppError {
  constructor(detail: string) {
    super({ code: 'config_invalid', status: 500, messageKey: 'error.generic', detail });
  }
}
