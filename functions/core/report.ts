// How both reconcilers' report states judge and tell a run: the result, the headline of the notice,
// whether a person must hear of it, and the cause a failed run ends with. Pure: the handlers gather the
// facts (plan, outcomes, verification, lease) and shape the answer.

/** A run's result. Some only one reconciler gives: `continuing`, `no-healthy-member` and `refused` are
 * the routes', `degraded` the resolver rules'. */
export type RunResult =
  | 'continuing'
  | 'converged'
  | 'no-change'
  | 'partial'
  | 'no-healthy-member'
  | 'blocked'
  | 'refused'
  | 'dry-run'
  | 'degraded'
  | 'unverified'
  | 'lease-lost'
  | 'failed';

/** What a run's result is judged on. */
export interface RunFacts {
  /** The run failed before it had a plan, or a state failed. */
  failed: boolean;
  dryRun: boolean;
  blocked: boolean;
  leaseLost: boolean;
  /** The plan's own verdict when it refuses to act (routes only). */
  refusal?: 'no-healthy-member' | 'refused' | null;
  /** Null when nothing was verified; `converged: null` when the verification read failed. */
  verification: { converged: boolean | null } | null;
  actionsFailed: number;
  /** Actions left for a next round (routes only). */
  deferred?: number;
  /** Some names could not be resolved, so nothing was retired (resolver rules only). */
  degraded?: boolean;
  /** The run changed something (or planned to, for the routes' converged). */
  changed: boolean;
}

/** The result, in order of what a person must read first. */
export function runResult(facts: RunFacts): RunResult {
  if (facts.failed) return 'failed';
  if (facts.dryRun) return 'dry-run';
  if (facts.blocked) return 'blocked';
  if (facts.leaseLost) return 'lease-lost';
  if (facts.refusal) return facts.refusal;
  if (facts.verification?.converged === null) return 'unverified';
  if (facts.actionsFailed === 0 && (facts.deferred ?? 0) > 0) return 'continuing';
  if (facts.actionsFailed > 0 || facts.verification?.converged === false) return 'partial';
  if (facts.degraded) return 'degraded';
  return facts.changed ? 'converged' : 'no-change';
}

const NEEDS_A_PERSON: ReadonlySet<RunResult> = new Set([
  'no-healthy-member',
  'blocked',
  'partial',
  'failed',
  'refused',
  'degraded',
  'unverified',
  'lease-lost',
]);

/** A notice goes out when something changed or failed, or the result needs a person; never for a dry run. */
export function worthTelling(result: RunResult, run: { dryRun: boolean; applied: number; failed: number }): boolean {
  return !run.dryRun && (run.applied > 0 || run.failed > 0 || NEEDS_A_PERSON.has(result));
}

/**
 * The notice's headline. `moved` describes a switch (of path or gateway) in a few words: a path switch
 * heads every result but a failure, a gateway switch only an otherwise plain run.
 */
export function headline(result: RunResult, applied: number, moved: { path?: string; gateway?: string } = {}): string {
  if (moved.path !== undefined && result !== 'failed') return `${moved.path}, ${applied} changes`;
  switch (result) {
    case 'no-healthy-member':
      return 'no healthy gateway, routes left as they were';
    case 'degraded':
      return `degraded (vendor DNS unanswered), nothing retired, ${applied} changes`;
    case 'blocked':
      return 'plan blocked by the change limit, manual override needed';
    case 'failed':
      return `reconciliation failed${applied ? ` after ${applied} changes` : ''}`;
    case 'lease-lost':
      return `lease lost to another run after ${applied} changes, stopped`;
    case 'unverified':
      return `${applied} changes, not verified (the check read failed)`;
    case 'refused':
      return 'operator request refused';
  }
  if (moved.gateway !== undefined) return `${moved.gateway}, ${applied} changes`;
  return `${applied} changes${result === 'partial' ? ', some failed' : ''}`;
}

/** Fail states' causes are limited to 32,768 characters. */
const MAX_CAUSE = 32_000;

/** A Lambda failure's Cause is the error payload's JSON: its message is what a person needs. */
export function causeMessage(cause: string | undefined): string {
  if (!cause) return 'no cause given';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    return typeof parsed.errorMessage === 'string' ? parsed.errorMessage : cause;
  } catch {
    return cause;
  }
}

/**
 * The cause a failed or cut-short run ends with (the Fail state's cause): why, then every action it
 * applied. Undefined for any other result.
 */
export function runCause(
  result: RunResult,
  why: { failure?: { Error: string; Cause?: string }; leaseLost: string },
  applied: number,
  total: number,
  changes: readonly string[],
): string | undefined {
  if (result !== 'failed' && result !== 'lease-lost') return undefined;
  const reason =
    result === 'lease-lost' ? why.leaseLost : `${why.failure?.Error ?? 'Error'}: ${causeMessage(why.failure?.Cause)}`;
  const cause = `${reason}. Applied ${applied} of ${total} actions${changes.length ? `: ${changes.join('; ')}` : ''}`;
  return cause.length > MAX_CAUSE ? `${cause.slice(0, MAX_CAUSE - 3)}...` : cause;
}
