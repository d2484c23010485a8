/**
 * Every identification status SRS documents (white paper "Determine the identification status",
 * integration guide section 4), what it means for the user's journey, and its message.
 *
 *   waiting     the identification is ordered; the user still has to do it
 *   processing  the partner is working on it or the evidence is on its way: keep polling
 *   ready       the identification is finished: confirm the evidence (verify call) and record it
 *   failed      it did not work; the user goes back to the step-up page with the reason
 *   cancelled   the user cancelled; back to the step-up page with a neutral note
 */
export type SrsStatus =
  | 'created'
  | 'initialized'
  | 'waiting_for_doc'
  | 'identification_done'
  | 'terminated'
  | 'data_ready'
  | 'error'
  | 'cancelled_by_user'
  | 'cancelled_by_isp'
  | 'unsuccessful';

export type Journey = 'waiting' | 'processing' | 'ready' | 'failed' | 'cancelled';

export interface StatusInfo {
  status: SrsStatus;
  /** The status as SRS writes it. */
  wire: string;
  journey: Journey;
  /** Translation key of what the user is told (waiting page or step-up notice). */
  messageKey: string;
  /** Progress order: the most advanced status of an identification is its current one. */
  rank: number;
}

function info(status: SrsStatus, wire: string, journey: Journey, rank: number): StatusInfo {
  return { status, wire, journey, rank, messageKey: `verification.srs.status.${status}` };
}

export const SRS_STATUSES: ReadonlyMap<SrsStatus, StatusInfo> = new Map(
  [
    info('created', 'created', 'waiting', 0),
    info('initialized', 'initialized', 'waiting', 1),
    info('waiting_for_doc', 'Waiting for Doc', 'processing', 2),
    info('identification_done', 'Identification done', 'processing', 3),
    info('terminated', 'terminated', 'ready', 4),
    info('data_ready', 'Data Ready', 'ready', 6),
    info('error', 'error', 'failed', 5),
    info('cancelled_by_user', 'Identification cancelled by user', 'cancelled', 7),
    info('cancelled_by_isp', 'Identification cancelled by ISP', 'failed', 7),
    info('unsuccessful', 'Identification unsuccessful', 'failed', 7),
  ].map((i) => [i.status, i] as const),
);

/** Spellings seen for each status (case, spaces, underscores and hyphens do not matter). */
const ALIASES: Record<string, SrsStatus> = {
  created: 'created',
  initialized: 'initialized',
  initialised: 'initialized',
  waitingfordoc: 'waiting_for_doc',
  waitingfordocument: 'waiting_for_doc',
  waitingfordocuments: 'waiting_for_doc',
  identificationdone: 'identification_done',
  terminated: 'terminated',
  dataready: 'data_ready',
  completeidentification: 'data_ready',
  error: 'error',
  identificationcancelledbyuser: 'cancelled_by_user',
  cancelledbyuser: 'cancelled_by_user',
  identificationcancelledbyisp: 'cancelled_by_isp',
  cancelledbyisp: 'cancelled_by_isp',
  identificationunsuccessful: 'unsuccessful',
  unsuccessful: 'unsuccessful',
};

/** The status a wire value names, or undefined for a status we do not know. */
export function parseStatus(wire: unknown): SrsStatus | undefined {
  if (typeof wire !== 'string') return undefined;
  return ALIASES[wire.toLowerCase().replace(/[^a-z]/g, '')];
}

export function statusInfo(status: SrsStatus): StatusInfo {
  return SRS_STATUSES.get(status)!;
}

/**
 * The current status of an identification from its status history. SRS lists the history in no
 * guaranteed order and its timestamps come from several systems, so the most advanced status
 * wins; among equals, the later date (then the later entry).
 */
export function currentStatus(history: readonly { status: SrsStatus; date?: string | undefined }[]): SrsStatus | undefined {
  let best: { status: SrsStatus; rank: number; time: number; index: number } | undefined;
  history.forEach((entry, index) => {
    const rank = statusInfo(entry.status).rank;
    const time = entry.date ? Date.parse(entry.date) : Number.NaN;
    const t = Number.isNaN(time) ? -Infinity : time;
    if (!best || rank > best.rank || (rank === best.rank && (t > best.time || (t === best.time && index > best.index)))) {
      best = { status: entry.status, rank, time: t, index };
    }
  });
  return best?.status;
}
