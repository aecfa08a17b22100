// needsAttention is one rule wherever an onboarding is shown (CONTRACT part 3: "the failed ones
// and those whose current step keeps failing"): the ops list (from visibility), the ops detail
// (from describe, with or without the workflow's own view) and the degraded frontend view (search
// attributes only, no worker) agree for every execution status, stage and flag. They used to
// disagree on a workflow that TIMED_OUT or FAILED outright and on an onboarding in stage FAILED.
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { indexedFieldsOf } from '../support/search-attributes';
import { degradedView } from '../../src/api/routes/onboardings';
import type { OnboardingView, Stage } from '../../src/domain/onboarding';
import { describeOnboarding, listItemOf, visibilityQuery } from '../../src/ops/onboardings';
import { OnboardingNeedsAttention, OnboardingStage, OnboardingStageEnteredAt } from '../../src/temporal/search-attributes';

const ID = '6f1c1c1e-0000-4000-8000-000000000000';
const STARTED = new Date('2026-12-01T10:00:00Z');
const ENTERED = new Date('2026-12-01T10:05:00Z');

type Status = 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TERMINATED' | 'TIMED_OUT';
const PROTO_STATUS: Record<Status, temporal.api.enums.v1.WorkflowExecutionStatus> = {
  RUNNING: temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
  COMPLETED: temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED,
  FAILED: temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED,
  CANCELLED: temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED,
  TERMINATED: temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED,
  TIMED_OUT: temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TIMED_OUT,
};

interface Case {
  status: Status;
  stage: Stage;
  flagged: boolean;
  /** What CONTRACT means: ended FAILED, a workflow that failed or timed out, or a step that keeps failing. */
  expected: boolean;
}

const CASES: Case[] = [];
for (const status of Object.keys(PROTO_STATUS) as Status[]) {
  for (const stage of ['AWAITING_SMS_CODE', 'FINALIZING', 'FAILED', 'COMPLETED', 'ABANDONED'] as Stage[]) {
    for (const flagged of [false, true]) {
      CASES.push({ status, stage, flagged, expected: flagged || stage === 'FAILED' || status === 'FAILED' || status === 'TIMED_OUT' });
    }
  }
}

const attributes = (c: Case) =>
  new TypedSearchAttributes([
    { key: OnboardingStage, value: c.stage },
    { key: OnboardingStageEnteredAt, value: ENTERED },
    { key: OnboardingNeedsAttention, value: c.flagged },
  ]);

function description(c: Case): WorkflowExecutionDescription {
  return {
    status: { name: c.status, code: PROTO_STATUS[c.status] },
    runId: 'run-1',
    startTime: STARTED,
    closeTime: c.status === 'RUNNING' ? undefined : ENTERED,
    historyLength: 10,
    typedSearchAttributes: attributes(c),
    raw: { pendingActivities: [] },
  } as unknown as WorkflowExecutionDescription;
}

function view(c: Case): OnboardingView {
  return {
    onboardingId: ID,
    stage: c.stage,
    stageEnteredAt: ENTERED.toISOString(),
    nextAction: { type: 'WAIT' },
    needsAttention: c.flagged,
    ids: {},
    kycDataReceived: false,
    timeline: [],
    attemptsLeft: { emailCode: 5, smsCode: 5 },
  };
}

/** A client whose one workflow is described as the case says; its query answers the view, or no worker answers. */
function fakeClient(c: Case, worker: boolean): Client {
  const handle = {
    describe: async () => description(c),
    query: async () => {
      if (!worker) throw new Error('no worker answered');
      return view(c);
    },
  };
  return {
    workflow: { getHandle: () => handle },
    withDeadline: <R>(_deadline: number, fn: () => Promise<R>) => fn(),
    options: { namespace: 'default' },
  } as unknown as Client;
}

const label = (c: Case) => `${c.status} / ${c.stage} / flagged ${c.flagged}`;

describe('needsAttention', () => {
  it('the ops list says it by the one rule', () => {
    for (const c of CASES) {
      const info = {
        execution: { workflowId: `onboarding-${ID}`, runId: 'run-1' },
        status: PROTO_STATUS[c.status],
        startTime: { seconds: STARTED.getTime() / 1000 },
        searchAttributes: { indexedFields: indexedFieldsOf(attributes(c)) },
      } as unknown as temporal.api.workflow.v1.IWorkflowExecutionInfo;
      expect(listItemOf(info, ENTERED).needsAttention, label(c)).toBe(c.expected);
    }
  });

  it('the ops detail says it by the same rule, with and without the workflow’s view', async () => {
    for (const c of CASES) {
      expect((await describeOnboarding(fakeClient(c, false), ID)).needsAttention, `${label(c)}, no worker`).toBe(c.expected);
      expect((await describeOnboarding(fakeClient(c, true), ID)).needsAttention, `${label(c)}, with the view`).toBe(c.expected);
    }
  });

  it('the degraded frontend view says it by the same rule', () => {
    for (const c of CASES) expect(degradedView(ID, description(c)).needsAttention, label(c)).toBe(c.expected);
  });

  it('the list filter selects by the same rule, and needsAttention=false is its exact complement', () => {
    const yes = visibilityQuery({ needsAttention: true });
    const no = visibilityQuery({ needsAttention: false });
    for (const clause of [`OnboardingNeedsAttention = true`, `OnboardingStage = 'FAILED'`, `ExecutionStatus = 'Failed'`, `ExecutionStatus = 'TimedOut'`]) {
      expect(yes).toContain(clause);
    }
    for (const clause of [`OnboardingNeedsAttention = false`, `OnboardingStage != 'FAILED'`, `ExecutionStatus != 'Failed'`, `ExecutionStatus != 'TimedOut'`]) {
      expect(no).toContain(clause);
    }
  });
});
