/**
 * The one interface every identity verification method implements (SRS, Freja eID, the counter,
 * the AHV register, …): start → poll or callback → complete, which records a verification.
 */
import type { MethodKind } from '../qor/index.js';

export interface StepUpContext {
  accountId: string;
  /** The Mobile ID serial of the current login: the verification is bound to it. */
  serial: string;
  interactionUid: string;
  locale: string;
  /** Where the method sends the browser back to when it is done (the step-up page). */
  returnUrl: string;
  /** Absolute base URL of this server, for callbacks. */
  issuer: string;
}

export type StartResult =
  /** Send the browser there (a provider's page, or a page of the method under /interaction). */
  | { redirect: string }
  /** The method needs time (e.g. a counter visit): show "come back after" with this message key. */
  | { later: { messageKey: string; params?: Record<string, string | number> } };

export interface VerificationMethod {
  /** The method's id, as named in policies/qor.json `verification.methods`. */
  id: string;
  /** Translation key of the method's name on the step-up page. */
  nameKey: string;
  start(ctx: StepUpContext): Promise<StartResult>;
}

/** The methods the policy lets count, with the kind the policy gives them. */
export class MethodRegistry {
  private readonly methods = new Map<string, { method: VerificationMethod; kind: MethodKind }>();

  constructor(private readonly kinds: Record<string, MethodKind>) {}

  register(method: VerificationMethod): void {
    const kind = this.kinds[method.id];
    if (!kind) return; // not part of the policy: never offered
    this.methods.set(method.id, { method, kind });
  }

  get(id: string): { method: VerificationMethod; kind: MethodKind } | undefined {
    return this.methods.get(id);
  }

  ofKind(kind: MethodKind): VerificationMethod[] {
    return [...this.methods.values()].filter((m) => m.kind === kind).map((m) => m.method);
  }

  kindOf(id: string): MethodKind | undefined {
    return this.kinds[id];
  }
}
