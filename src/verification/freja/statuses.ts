/**
 * The transaction statuses of a Freja eID authentication and what each means for the user's
 * journey: still waiting (the page keeps polling), or over (success, or back to the step-up page
 * with the reason).
 */
export const FREJA_STATUSES = ['STARTED', 'DELIVERED_TO_MOBILE', 'APPROVED', 'REJECTED', 'EXPIRED', 'CANCELED', 'RP_CANCELED'] as const;
export type FrejaStatus = (typeof FREJA_STATUSES)[number];

/** Where the journey is. */
export type JourneyState =
  /** Waiting for the person to scan the code or open the app. */
  | 'waiting'
  /** The app has the request: waiting for the person to confirm. */
  | 'confirming'
  /** Approved: the signed result decides (identity check, registration level). */
  | 'approved'
  /** Over without a verification: back to the step-up page with the reason. */
  | 'failed'
  /** Over because this service cancelled it (e.g. the person pressed "cancel" on our page). */
  | 'cancelled';

export interface StatusInfo {
  status: FrejaStatus;
  state: JourneyState;
  final: boolean;
  /** What the waiting page says (pending) or why the user is back at the step-up page (final). */
  messageKey: string;
}

function info(status: FrejaStatus, state: JourneyState, messageKey: string): StatusInfo {
  return { status, state, final: state !== 'waiting' && state !== 'confirming', messageKey };
}

export const STATUS_INFO: Readonly<Record<FrejaStatus, StatusInfo>> = {
  /** The request exists, the app has not fetched it yet. */
  STARTED: info('STARTED', 'waiting', 'verification.freja.status.started'),
  /** The app has fetched the request and shows it. */
  DELIVERED_TO_MOBILE: info('DELIVERED_TO_MOBILE', 'confirming', 'verification.freja.status.delivered'),
  APPROVED: info('APPROVED', 'approved', 'verification.freja.verified'),
  /** Freja refused it, e.g. because another authentication for the same person ran at the same time. */
  REJECTED: info('REJECTED', 'failed', 'verification.freja.status.rejected'),
  /** Not confirmed within the time Freja allows (two minutes). */
  EXPIRED: info('EXPIRED', 'failed', 'verification.freja.status.expired'),
  /** The person declined in the app. */
  CANCELED: info('CANCELED', 'failed', 'verification.freja.status.canceled'),
  /** This service cancelled the request. */
  RP_CANCELED: info('RP_CANCELED', 'cancelled', 'verification.freja.status.rp_canceled'),
};

export function isFrejaStatus(value: unknown): value is FrejaStatus {
  return typeof value === 'string' && (FREJA_STATUSES as readonly string[]).includes(value);
}

export function statusInfo(status: FrejaStatus): StatusInfo {
  return STATUS_INFO[status];
}
