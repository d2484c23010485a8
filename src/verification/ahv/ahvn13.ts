/**
 * The Swiss social security number AHVN13 (AVS/AVS13): 13 digits, prefix 756 (Switzerland's ISO
 * 3166 numeric code), an EAN-13 check digit; written 756.XXXX.XXXX.XC. Validated before anything
 * is sent to the register. The number is personal data: show it masked, never log it.
 */
export type AhvProblem = 'format' | 'prefix' | 'check_digit';

export type AhvResult = { ok: true; compact: string; dotted: string } | { ok: false; problem: AhvProblem };

/** EAN-13 check digit over the first 12 digits (weights 1, 3, 1, 3, … from the left). */
export function ean13CheckDigit(first12: string): number {
  let sum = 0;
  for (let i = 0; i < 12; i += 1) sum += Number(first12[i]) * (i % 2 === 0 ? 1 : 3);
  return (10 - (sum % 10)) % 10;
}

/**
 * Accepts `7569217076985`, `756.9217.0769.85` and `756 9217 0769 85`; dots and spaces only in
 * the places of the written form.
 */
export function parseAhvn13(input: string): AhvResult {
  const trimmed = input.trim();
  if (!/^\d{13}$/.test(trimmed) && !/^\d{3}([. ])\d{4}\1\d{4}\1\d{2}$/.test(trimmed)) return { ok: false, problem: 'format' };
  const compact = trimmed.replace(/[. ]/g, '');
  if (!compact.startsWith('756')) return { ok: false, problem: 'prefix' };
  if (ean13CheckDigit(compact.slice(0, 12)) !== Number(compact[12])) return { ok: false, problem: 'check_digit' };
  return { ok: true, compact, dotted: formatAhvn13(compact) };
}

export function formatAhvn13(compact: string): string {
  return `${compact.slice(0, 3)}.${compact.slice(3, 7)}.${compact.slice(7, 11)}.${compact.slice(11)}`;
}

/** For pages and logs: only the country prefix and the last two digits, e.g. 756.****.****.85. */
export function maskAhvn13(compact: string): string {
  return `756.****.****.${compact.slice(-2)}`;
}
