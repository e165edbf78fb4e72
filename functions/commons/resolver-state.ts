import type { RunResult } from '../core/report.js';
import type {
  BlastRadiusBlock,
  ResolverRuleConflict,
  ResolverRuleProblem,
  ResolverRuleVerification,
} from '../core/resolver-rules/index.js';
import type { TriggerSummary } from './route-state.js';

// The shapes the resolver reconciler's states pass to each other. The plan itself stays in the state
// table (resolver-state.ts): only summaries travel through the execution.

export interface ResolverRequest {
  dryRun: boolean;
  overrideBlastRadius: boolean;
}

export interface ResolverIntakeOutput {
  request: ResolverRequest;
  trigger: TriggerSummary;
  ignored: string | null;
}

/** Output of the decide state: what the plan holds, in counts and the few things a person must read. */
export interface ResolverDecision {
  plannedAt: string;
  actionCount: number;
  actionsByKind: Record<string, number>;
  blocked: BlastRadiusBlock | null;
  degraded: boolean;
  unresolvedNames: string[];
  problems: ResolverRuleProblem[];
  conflicts: ResolverRuleConflict[];
  /** Each name's chain or why it has none: the first LISTED_RESOLUTIONS, names that did not resolve first. */
  resolutions: Record<string, string>;
  /** Names left out of `resolutions` (their chains are in the run record's plan and the history). */
  resolutionsOmitted?: number;
  resolverCalls: number;
}

/** One action's outcome. `skipped`: its create-rule failed, so there was no rule to associate. */
export interface ResolverActionOutcome {
  actionId: string;
  status: 'applied' | 'failed' | 'skipped';
  /** The rule a create-rule made (or found already made): what its associate actions use. */
  ruleId?: string;
  detail?: string;
  error?: string;
  retryable?: boolean;
}

export interface ResolverApplySummary {
  applied: number;
  failed: number;
  skipped: number;
}

export interface ResolverRunState extends ResolverIntakeOutput {
  executionId: string;
  decision?: ResolverDecision;
  applied?: ResolverApplySummary;
  failure?: { Error: string; Cause?: string };
}

export type ResolverResult = Exclude<RunResult, 'continuing' | 'no-healthy-member' | 'refused'>;

export interface ResolverReport {
  group: string;
  result: ResolverResult;
  dryRun: boolean;
  trigger: TriggerSummary;
  degraded: boolean;
  unresolvedNames: string[];
  problems: ResolverRuleProblem[];
  conflicts: ResolverRuleConflict[];
  blocked: BlastRadiusBlock | null;
  /** Every planned action with its outcome; cut to the first ones when the plan is very large. */
  actions: unknown[];
  actionCount: number;
  outcomes: ResolverApplySummary;
  /** Null when nothing was to verify; `error` when the verification read failed (the changes stand). */
  verification: ResolverRuleVerification | { converged: null; error: string } | null;
  failure?: { Error: string; Cause?: string };
  /** Whether the names' history now holds this run's observation, and why not. */
  history: { saved: boolean; error?: string } | null;
  /** A failed or cut-short run: its failure and every action it applied, in one text (the Fail state's cause). */
  cause?: string;
  notified: { sns: boolean; events: boolean } | null;
}

/** What the failure path's report state receives: the run as it was when something failed. */
export interface FailedResolverRun {
  run: Omit<ResolverRunState, 'executionId'> & { executionId?: string };
  executionId: string;
}

/** Counts of a run's outcomes. */
export function summarise(outcomes: readonly ResolverActionOutcome[]): ResolverApplySummary {
  const count = (status: ResolverActionOutcome['status']) => outcomes.filter((o) => o.status === status).length;
  return { applied: count('applied'), failed: count('failed'), skipped: count('skipped') };
}
