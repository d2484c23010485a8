/**
 * The geofencing additional service (reference guide 3.2.4.2): what the virtual phone reports
 * and the JSON the service returns, in the recorded shape (all values as strings, Timestamp in
 * Swiss local time with its offset, e.g. "2024-07-02T08:53:10.537+02:00").
 */

/** Geofencing error codes (reference guide 3.2.4.2.4). */
export const GEOFENCING_ERRORS = {
  '100': 'Geofencing feature disabled',
  '101': 'Failed to retrieve the location',
  '102': 'Location permission not answered',
  '103': 'Location permission denied',
  '104': 'Location services restricted',
  '105': 'Location services turned off',
  '106': 'Airplane mode',
  '120': 'Location failed',
  '121': 'MSSP internal error',
  '122': 'AP not authorized for geofencing',
  '123': 'Non-Swisscom SIM card',
  '200': 'No location returned from mobile app',
  '201': 'App outdated, geofencing not supported',
} as const satisfies Record<string, string>;

export type GeofencingErrorCode = keyof typeof GEOFENCING_ERRORS;

export function isGeofencingErrorCode(code: string): code is GeofencingErrorCode {
  return Object.hasOwn(GEOFENCING_ERRORS, code);
}

/** What the person on the virtual phone reports. */
export type GeofencingReport =
  | { kind: 'location'; country: string; accuracy: number; locationConfidence: number; deviceConfidence: number }
  | { kind: 'error'; code: GeofencingErrorCode };

export type GeofencingLocation = Extract<GeofencingReport, { kind: 'location' }>;

/** The values of the recorded SIM response (CH, 105 m, 0.9 / 0.9). */
export const DEFAULT_GEOFENCING: GeofencingLocation = {
  kind: 'location',
  country: 'CH',
  accuracy: 105,
  locationConfidence: 0.9,
  deviceConfidence: 0.9,
};

export type GeofencingJson =
  | { Accuracy: string; Country: string; DeviceConfidence: string; LocationConfidence: string; Timestamp: string }
  | { ErrorCode: string; ErrorMessage: string };

/** Scores as the service writes them: "0.9", "0.85", "1.0". */
function formatScore(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

export function geofencingJson(report: GeofencingReport, at: Date): GeofencingJson {
  if (report.kind === 'error') return { ErrorCode: report.code, ErrorMessage: GEOFENCING_ERRORS[report.code] };
  return {
    Accuracy: String(report.accuracy),
    Country: report.country,
    DeviceConfidence: formatScore(report.deviceConfidence),
    LocationConfidence: formatScore(report.locationConfidence),
    Timestamp: swissTimestamp(at),
  };
}

const SWISS_TIME = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Zurich',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'longOffset',
});

/** yyyy-MM-dd'T'HH:mm:ss.SSS+hh:mm in Europe/Zurich. */
export function swissTimestamp(date: Date): string {
  const parts = Object.fromEntries(SWISS_TIME.formatToParts(date).map((p) => [p.type, p.value]));
  const offset = (parts['timeZoneName'] ?? 'GMT').replace('GMT', '') || '+00:00';
  const ms = String(date.getUTCMilliseconds()).padStart(3, '0');
  return `${parts['year']}-${parts['month']}-${parts['day']}T${parts['hour']}:${parts['minute']}:${parts['second']}.${ms}${offset}`;
}
