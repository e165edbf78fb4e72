import type { GroupRecord, MemberHealth, PlanAction, RouteOperation, RoutePlan } from '../core/routes/types.js';

// The shapes the route reconciler's states pass to each other (the execution's JSON).

/** What the run was asked to do. */
export interface RouteRequest {
  /** The operator's operation, or null for an automatic run (event or schedule). */
  operation: RouteOperation | null;
  dryRun: boolean;
  overrideBlastRadius: boolean;
}

/** The trigger in a few words, for the audit record. */
export interface TriggerSummary {
  kind: string;
  eventId?: string;
  summary: string;
}

/** Output of the intake state. */
export interface IntakeOutput {
  request: RouteRequest;
  trigger: TriggerSummary;
  /** Why the run has nothing to do (not our instance, a replayed event), or null. */
  ignored: string | null;
  /** Which round of the execution this is (a long plan is applied a round at a time). */
  round: number;
}

/** Output of the decide state. */
export interface DecideOutput {
  observedAt: string;
  health: MemberHealth[];
  plan: RoutePlan;
  nextRecord: GroupRecord;
  confirmationDelaySeconds: number;
}

/** One action's outcome, as the Apply function records it. */
export interface ActionOutcome {
  actionId: string;
  status: 'applied' | 'failed';
  detail?: string;
  error?: string;
  cause?: string;
}

/** Input of the Apply function: a round's actions, or the ones a previous attempt left pending. */
export interface ApplyInput {
  actions: PlanAction[];
  /** Outcomes of the previous attempts of this round, carried along. */
  outcomes?: ActionOutcome[];
  /** 1 for the round's first attempt. */
  attempt?: number;
  executionId: string;
}

/** Output of the Apply function: every outcome so far, and what waits for another attempt. */
export interface ApplyOutput {
  outcomes: ActionOutcome[];
  pending: PlanAction[];
  attempt: number;
  /** How long the ASL waits before the next attempt (0 when nothing is pending). */
  retryInSeconds: number;
}

/** What the report state receives: everything the run gathered. */
export interface RouteRunState extends IntakeOutput {
  executionId: string;
  decision?: DecideOutput;
  outcomes?: ActionOutcome[];
  /** The last Apply attempt's output, when the run failed between two attempts. */
  apply?: ApplyOutput;
  failure?: { Error: string; Cause?: string };
}

/**
 * What the report states receive from the state machine: the run as it is (Report) or as it was when
 * something failed (ReportFailure), beside the execution's id and the log context.
 */
export interface FailedRouteRun {
  run: Omit<RouteRunState, 'executionId'> & { executionId?: string };
  executionId: string;
}
