// Status conditions as plain data. No lastTransitionTime: translation has no clock, and the
// status writer keeps the previous time when a condition's status did not change.
import type { Condition } from '../../api/gateway.js';

export interface Verdict {
  readonly ok: boolean;
  readonly reason: string;
  readonly message: string;
}

export function pass(reason: string, message: string): Verdict {
  return { ok: true, reason, message };
}

export function problem(reason: string, message: string): Verdict {
  return { ok: false, reason, message };
}

/** A condition from a verdict; `inverted` types (Conflicted) are True when something is wrong. */
export function condition(type: string, v: Verdict, observedGeneration: number, inverted = false): Condition {
  return { type, status: v.ok !== inverted ? 'True' : 'False', reason: v.reason, message: v.message, observedGeneration };
}

/**
 * The generation a status refers to. Objects from the file provider carry none: they are their
 * own first generation.
 */
export function generationOf(obj: { metadata: { generation?: number } }): number {
  return obj.metadata.generation ?? 1;
}
