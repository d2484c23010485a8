/**
 * Outages and error answers on demand (sandbox and tests): the next `times` calls of an operation
 * answer with an HTTP status and, for 400/422, a Freja error code; or they hang for `delayMs`
 * first (to exceed the client's timeout).
 */
export const OPERATIONS = ['initAuthentication', 'getOneResult', 'cancel'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface FaultPlan {
  operation: Operation | 'any';
  /** 500, 503, … for an outage; 400 / 422 together with `code` for an API error. */
  httpStatus?: number | undefined;
  code?: number | undefined;
  delayMs?: number | undefined;
  times: number;
}

export class Faults {
  private plans: FaultPlan[] = [];

  add(plan: FaultPlan): void {
    this.plans.push({ ...plan });
  }

  clear(): void {
    this.plans = [];
  }

  list(): FaultPlan[] {
    return this.plans.map((p) => ({ ...p }));
  }

  /** The fault for this call, if one is planned (each plan is used `times` times). */
  take(operation: Operation): FaultPlan | undefined {
    const plan = this.plans.find((p) => p.operation === operation || p.operation === 'any');
    if (!plan) return undefined;
    plan.times -= 1;
    if (plan.times <= 0) this.plans = this.plans.filter((p) => p !== plan);
    return plan;
  }
}
