/**
 * A minimal browser for end-to-end tests: keeps cookies per origin, follows redirects until it
 * leaves the provider (the RP's redirect_uri), submits forms.
 */
export class Browser {
  private readonly jar = new Map<string, Map<string, string>>();

  constructor(private readonly headers: Record<string, string> = {}) {}

  private cookieHeader(url: URL): string {
    const cookies = this.jar.get(url.origin);
    return cookies ? [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') : '';
  }

  private store(url: URL, res: Response): void {
    for (const raw of res.headers.getSetCookie()) {
      const [pair] = raw.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const cookies = this.jar.get(url.origin) ?? new Map<string, string>();
      if (/expires=Thu, 01 Jan 1970/i.test(raw) || value === '') cookies.delete(name);
      else cookies.set(name, value);
      this.jar.set(url.origin, cookies);
    }
  }

  /** One request, no redirect following. */
  async request(input: string | URL, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Response> {
    const url = new URL(input);
    const headers: Record<string, string> = { ...this.headers, ...init.headers };
    const cookie = this.cookieHeader(url);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(url, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    this.store(url, res);
    return res;
  }

  /**
   * Follow redirects while they stay on `origin`. Returns the last response on the origin, or the
   * URL of the first redirect that leaves it (e.g. the RP callback).
   */
  async follow(input: string | URL, origin: string, init: { form?: Record<string, string> } = {}): Promise<{ res: Response; url: URL; left?: URL }> {
    let url = new URL(input);
    let res = await this.request(url, init);
    for (let i = 0; i < 20; i += 1) {
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) return { res, url };
      const next = new URL(location, url);
      if (next.origin !== origin) return { res, url, left: next };
      url = next;
      res = await this.request(url);
    }
    throw new Error('too many redirects');
  }
}

/** Reads the value of a hidden input from a page. */
export function hiddenInput(html: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!match) throw new Error(`no input ${name} on the page`);
  return match[1]!;
}

export function formAction(html: string, suffix: string): string {
  const match = new RegExp(`action="([^"]*${suffix})"`).exec(html);
  if (!match) throw new Error(`no form posting to *${suffix}`);
  return match[1]!;
}
