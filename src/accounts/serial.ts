/**
 * Mobile ID serial pinning (reference guide 4.2): the serial number of the user's certificate is
 * pinned at the first login. A different serial later means Mobile ID was re-activated without
 * recovery, so the second factor is not assured.
 */
export type SerialPolicy = 'reject' | 'downgrade';

export type SerialCheck = 'first' | 'match' | 'mismatch';

export function compareSerial(pinned: string | null, presented: string): SerialCheck {
  if (!pinned) return 'first';
  return pinned.toUpperCase() === presented.toUpperCase() ? 'match' : 'mismatch';
}
