import { describe, expect, it } from '@jest/globals';
import {
  Agent,
  Approval,
  Channel,
  Event,
  Intervention,
  Invite,
  NotificationSink,
  Participant,
  RepoMount,
  Run,
  Session,
  SessionRole,
  Workflow,
  WorkflowTemplate,
  type KindDefinition,
  type KubeObject,
} from './index.js';
import { applyDefaults, findUnknownFields, immutableFieldChanges, validateMetadata, validateObject } from './validation.js';

function obj(def: KindDefinition, spec: unknown, extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: def.apiVersion, kind: def.kind, metadata: { name: 'x', namespace: 'default' }, spec, ...extra };
}

const template = { phases: [{ name: 'plan', type: 'Agent', agent: 'claude-dev', prompt: 'Plan {{params.issue}}' }] };

describe('applyDefaults', () => {
  it.each([
    ['Session limits fill in when spec is absent', Session, undefined, 'spec', { limits: { maxActiveRuns: 5, maxQueuedRuns: 100, maxAgents: 10, maxChannels: 20 }, archived: false }],
    ['Session limits fill in inside an empty spec', Session, {}, 'spec.limits', { maxActiveRuns: 5, maxQueuedRuns: 100, maxAgents: 10, maxChannels: 20 }],
    ['given limits are kept', Session, { limits: { maxActiveRuns: 2 } }, 'spec.limits', { maxActiveRuns: 2, maxQueuedRuns: 100, maxAgents: 10, maxChannels: 20 }],
    ['RepoMount mode, branchPrefix and cleanup', RepoMount, { session: 's', path: '/repo' }, 'spec', { session: 's', path: '/repo', mode: 'Worktree', branchPrefix: 'sidekicks/', cleanup: 'OnDelete' }],
    ['Run channel, priority and suspend', Run, { session: 's', agent: 'a', prompt: 'p' }, 'spec', { session: 's', agent: 'a', prompt: 'p', channel: 'main', priority: 0, suspend: false }],
    ['Approval onExpiry', Approval, { session: 's', run: 'r', category: 'ToolExecution' }, 'spec.onExpiry', 'Reject'],
    ['WorkflowTemplate joinPolicy and maxConcurrentPhases', WorkflowTemplate, template, 'spec.maxConcurrentPhases', 4],
    ['WorkflowTemplate joinPolicy', WorkflowTemplate, template, 'spec.joinPolicy', 'FailFast'],
    ['defaults inside array items', WorkflowTemplate, template, 'spec.phases.0.retries', 0],
    ['defaults inside an inline Workflow template', Workflow, { session: 's', template }, 'spec.template.maxConcurrentPhases', 4],
    ['Channel turn policy', Channel, { session: 's' }, 'spec.turnPolicy', 'FreeForm'],
    ['Invite expiresAt is left to the server', Invite, { session: 's', role: 'Viewer' }, 'spec.expiresAt', undefined],
    ['absent optional parents are not created', Agent, { driver: 'OpenAI' }, 'spec.budget', undefined],
    ['Agent maxTurns', Agent, { driver: 'OpenAI' }, 'spec.maxTurns', 50],
    ['NotificationSink events, attempts and webhook format', NotificationSink, { webhook: { url: 'http://127.0.0.1:9/h' } }, 'spec', { webhook: { url: 'http://127.0.0.1:9/h', format: 'Generic' }, events: ['ApprovalRequested', 'InputRequested', 'GateWaiting', 'RunFailed'], maxAttempts: 5, timeoutSeconds: 10 }],
  ])('%s', (_name, def, spec, path, expected) => {
    const input = obj(def, spec);
    if (spec === undefined) delete input.spec;
    const before = structuredClone(input);
    const out = applyDefaults(def, input);
    const value = path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], out);
    expect(value).toEqual(expected);
    expect(input).toEqual(before);
  });

  it('returns a copy that does not share defaulted objects between calls', () => {
    const a = applyDefaults(Session, obj(Session, {}));
    const b = applyDefaults(Session, obj(Session, {}));
    (a.spec as { limits: { maxActiveRuns: number } }).limits.maxActiveRuns = 1;
    expect((b.spec as { limits: { maxActiveRuns: number } }).limits.maxActiveRuns).toBe(5);
  });
});

describe('validateObject', () => {
  const valid = (def: KindDefinition, spec: unknown) => validateObject(def, applyDefaults(def, obj(def, spec)));

  it('accepts a complete defaulted object of every kind used in the tour', () => {
    expect(valid(Run, { session: 's', agent: 'a', prompt: 'Fix the login bug' })).toEqual([]);
    expect(valid(Session, { title: 'Auth', members: [{ participant: 'alice', role: 'Owner' }] })).toEqual([]);
    expect(valid(Agent, { driver: 'Scripted', script: [{ say: 'hi' }, { tool: 'ReadFile', input: { path: 'a.txt' } }] })).toEqual([]);
    expect(valid(Workflow, { session: 's', templateRef: { name: 'review' }, params: { issue: '142' } })).toEqual([]);
    expect(valid(Participant, { identity: 'alice@example.com' })).toEqual([]);
  });

  it('lists every violated field with Kubernetes messages', () => {
    const errors = validateObject(Run, obj(Run, { session: 7, priority: 'high', mode: 'Sideways', timeoutSeconds: 0, channel: 'main', suspend: false }));
    expect(errors).toEqual(
      expect.arrayContaining([
        { field: 'spec.agent', message: 'Required value', reason: 'FieldValueRequired' },
        { field: 'spec.prompt', message: 'Required value', reason: 'FieldValueRequired' },
        { field: 'spec.session', message: 'Invalid value: "integer": must be of type string', reason: 'FieldValueTypeInvalid' },
        { field: 'spec.priority', message: 'Invalid value: "string": must be of type integer', reason: 'FieldValueTypeInvalid' },
        {
          field: 'spec.mode',
          message: 'Unsupported value: "Sideways": supported values: "ReadOnly", "Branch", "Worktree", "EphemeralClone"',
          reason: 'FieldValueNotSupported',
        },
        { field: 'spec.timeoutSeconds', message: 'Invalid value: 0: must be greater than or equal to 1', reason: 'FieldValueInvalid' },
      ]),
    );
    expect(errors).toHaveLength(6);
  });

  it('names array elements with [i] and closed sets with their values', () => {
    const errors = valid(Session, { members: [{ participant: 'alice', role: 'Owner' }, { participant: 'bob', role: 'Boss' }] });
    const supported = Object.values(SessionRole).map((r) => `"${r}"`).join(', ');
    expect(errors).toEqual([{ field: 'spec.members[1].role', message: `Unsupported value: "Boss": supported values: ${supported}`, reason: 'FieldValueNotSupported' }]);
  });

  it('reports a missing spec and an empty required string as Required value', () => {
    const noSpec = obj(Run, undefined);
    delete noSpec.spec;
    expect(validateObject(Run, noSpec)).toEqual([{ field: 'spec', message: 'Required value', reason: 'FieldValueRequired' }]);
    expect(valid(Run, { session: 's', agent: '', prompt: 'p' })).toEqual([{ field: 'spec.agent', message: 'Required value', reason: 'FieldValueRequired' }]);
  });

  it.each([
    ['duplicate list-map key', Session, { members: [{ participant: 'alice', role: 'Owner' }, { participant: 'alice', role: 'Viewer' }] }, 'spec.members[1]', 'FieldValueDuplicate'],
    ['duplicate set item', Agent, { driver: 'OpenAI', tools: ['ReadFile', 'ReadFile'] }, 'spec.tools[1]', 'FieldValueDuplicate'],
    ['bad date-time', Approval, { session: 's', run: 'r', category: 'Gate', expiresAt: 'tomorrow' }, 'spec.expiresAt', 'FieldValueInvalid'],
    ['too many retries', WorkflowTemplate, { phases: [{ name: 'plan', type: 'Agent', retries: 9 }] }, 'spec.phases[0].retries', 'FieldValueInvalid'],
    ['no phases', WorkflowTemplate, { phases: [] }, 'spec.phases', 'FieldValueInvalid'],
    ['both templateRef and template', Workflow, { session: 's', templateRef: { name: 't' }, template }, 'spec.template', 'FieldValueForbidden'],
    ['neither templateRef nor template', Workflow, { session: 's' }, 'spec.templateRef', 'FieldValueRequired'],
    ['approval without run or workflow', Approval, { session: 's', category: 'Gate' }, 'spec.run', 'FieldValueRequired'],
    ['steer without text', Intervention, { run: 'r', type: 'Steer' }, 'spec.content', 'FieldValueRequired'],
    ['Scripted agent without a script', Agent, { driver: 'Scripted' }, 'spec.script', 'FieldValueRequired'],
    ['secret from both env and file', Agent, { driver: 'OpenAI', endpoint: { baseURL: 'http://127.0.0.1:11434/v1', apiKeyFrom: { env: 'K', file: '/k' } } }, 'spec.endpoint.apiKeyFrom.file', 'FieldValueForbidden'],
    ['control-plane key from a file', Agent, { driver: 'OpenAI', endpoint: { baseURL: 'https://api.openai.com/v1', credentials: 'ControlPlane', apiKeyFrom: { file: '/k' } } }, 'spec.endpoint.apiKeyFrom.file', 'FieldValueForbidden'],
    ['unknown credentials place', Agent, { driver: 'OpenAI', endpoint: { baseURL: 'https://api.openai.com/v1', credentials: 'Laptop' } }, 'spec.endpoint.credentials', 'FieldValueNotSupported'],
    ['Branch mode without a branch', RepoMount, { session: 's', path: '/r', mode: 'Branch' }, 'spec.branch', 'FieldValueRequired'],
    ['sink with both webhook and desktop', NotificationSink, { webhook: { url: 'https://h' }, desktop: {} }, 'spec.desktop', 'FieldValueForbidden'],
    ['sink with neither webhook nor desktop', NotificationSink, {}, 'spec.webhook', 'FieldValueRequired'],
    ['webhook without url or urlFrom', NotificationSink, { webhook: { format: 'Slack' } }, 'spec.webhook.url', 'FieldValueRequired'],
    ['webhook secret from both env and file', NotificationSink, { webhook: { url: 'https://h', secretFrom: { env: 'K', file: '/k' } } }, 'spec.webhook.secretFrom.file', 'FieldValueForbidden'],
    ['webhook url that is not http(s)', NotificationSink, { webhook: { url: 'ftp://h' } }, 'spec.webhook.url', 'FieldValueInvalid'],
    ['sink with no events', NotificationSink, { desktop: {}, events: [] }, 'spec.events', 'FieldValueInvalid'],
    ['a relative mount path', RepoMount, { session: 's', path: '..' }, 'spec.path', 'FieldValueInvalid'],
    ['map values are typed', Workflow, { session: 's', templateRef: { name: 't' }, params: { issue: 142 } }, 'spec.params[issue]', 'FieldValueTypeInvalid'],
  ])('%s', (_name, def, spec, field, reason) => {
    const errors = valid(def, spec);
    expect(errors.map((e) => [e.field, e.reason])).toContainEqual([field, reason]);
  });

  it('says a relative mount path must be absolute (the CLI resolves it against the manifest; the server cannot)', () => {
    expect(valid(RepoMount, { session: 's', path: 'repo/..' })).toEqual([
      { field: 'spec.path', message: 'Invalid value: "repo/..": must be an absolute path', reason: 'FieldValueInvalid' },
    ]);
    expect(valid(RepoMount, { session: 's', path: '/repo' })).toEqual([]);
  });

  it('reports a value of the wrong type once', () => {
    expect(valid(Run, { session: 's', agent: 'a', prompt: 'p', mode: 5 })).toEqual([
      { field: 'spec.mode', message: 'Invalid value: "integer": must be of type string', reason: 'FieldValueTypeInvalid' },
    ]);
  });

  it('validates top-level fields of kinds without spec (Event)', () => {
    const event = { apiVersion: Event.apiVersion, kind: 'Event', metadata: { name: 'run-x.1' }, involvedObject: { kind: 'Run', name: 'x' }, type: 'Info' };
    expect(validateObject(Event, applyDefaults(Event, event)).map((e) => [e.field, e.reason])).toEqual([['type', 'FieldValueNotSupported']]);
    expect(applyDefaults(Event, event)).toMatchObject({ count: 1 });
  });

  it('does not report unknown fields', () => {
    expect(valid(Run, { session: 's', agent: 'a', prompt: 'p', foo: 1 })).toEqual([]);
  });
});

describe('findUnknownFields', () => {
  it.each([
    ['spec field', Session, { foo: 1 }, {}, ['spec.foo']],
    ['nested spec field', Session, { limits: { bar: 1 } }, {}, ['spec.limits.bar']],
    ['array item field', Session, { members: [{ participant: 'a', role: 'Owner', rank: 1 }] }, {}, ['spec.members[0].rank']],
    ['metadata field', Run, { session: 's', agent: 'a', prompt: 'p' }, { metadata: { name: 'x', labelz: {} } }, ['metadata.labelz']],
    ['status field', Run, { session: 's', agent: 'a', prompt: 'p' }, { status: { phase: 'Running', mood: 'good' } }, ['status.mood']],
    ['top-level field', Run, { session: 's', agent: 'a', prompt: 'p' }, { extra: true }, ['extra']],
    ['map values are not unknown fields', Workflow, { session: 's', templateRef: { name: 't' }, params: { anything: 'x' } }, { status: { phases: { plan: { phase: 'Running' } } } }, []],
    ['labels and annotations are maps', Run, { session: 's', agent: 'a', prompt: 'p' }, { metadata: { name: 'x', labels: { team: 'auth' }, annotations: { a: 'b' } } }, []],
    ['free-form values are not checked', Agent, { driver: 'Scripted', script: [{ tool: 'RunCommand', input: { command: 'ls', whatever: { deep: 1 } } }] }, {}, []],
    ['unknown field inside a map value', Workflow, { session: 's', templateRef: { name: 't' } }, { status: { phases: { plan: { phase: 'Running', colour: 'red' } } } }, ['status.phases.plan.colour']],
  ])('%s', (_name, def, spec, extra, expected) => {
    expect(findUnknownFields(def, obj(def, spec, extra))).toEqual(expected);
  });
});

describe('validateMetadata', () => {
  const named = (name: string) => validateMetadata(Run, { apiVersion: Run.apiVersion, kind: 'Run', metadata: { name } });
  const SUBDOMAIN =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

  it.each(['a', 'fix-login', 'a.b-c', '0', 'x'.repeat(253)])('accepts the name %s', (name) => {
    expect(named(name)).toEqual([]);
  });

  it.each(['Foo', 'a_b', '-a', 'a-', '.a', 'a..b', 'has space'])('rejects the name %s with kubectl’s message', (name) => {
    expect(named(name)).toEqual([{ field: 'metadata.name', message: `Invalid value: "${name}": ${SUBDOMAIN}`, reason: 'FieldValueInvalid' }]);
  });

  it('rejects names longer than 253 characters', () => {
    expect(named('a'.repeat(254))).toContainEqual({ field: 'metadata.name', message: `Invalid value: "${'a'.repeat(254)}": must be no more than 253 characters`, reason: 'FieldValueInvalid' });
  });

  it('requires a name unless generateName is given', () => {
    expect(validateMetadata(Run, { apiVersion: Run.apiVersion, kind: 'Run', metadata: {} }).map((e) => [e.field, e.reason])).toEqual([['metadata.name', 'FieldValueRequired']]);
    expect(validateMetadata(Run, { apiVersion: Run.apiVersion, kind: 'Run', metadata: { generateName: 'review-' } })).toEqual([]);
    expect(validateMetadata(Run, { apiVersion: Run.apiVersion, kind: 'Run', metadata: { generateName: 'Review-' } }).map((e) => e.field)).toEqual(['metadata.generateName']);
  });

  it.each([
    ['namespace not a DNS label', Run, { name: 'x', namespace: 'Team_A' }, 'metadata.namespace', 'FieldValueInvalid'],
    ['namespace on a cluster-scoped kind', Participant, { name: 'alice', namespace: 'default' }, 'metadata.namespace', 'FieldValueForbidden'],
    ['label key with two slashes', Run, { name: 'x', labels: { 'a/b/c': 'v' } }, 'metadata.labels', 'FieldValueInvalid'],
    ['label key name too long', Run, { name: 'x', labels: { ['k'.repeat(64)]: 'v' } }, 'metadata.labels', 'FieldValueInvalid'],
    ['label key bad prefix', Run, { name: 'x', labels: { 'Example.com/team': 'v' } }, 'metadata.labels', 'FieldValueInvalid'],
    ['label value with a space', Run, { name: 'x', labels: { team: 'a b' } }, 'metadata.labels[team]', 'FieldValueInvalid'],
    ['label value too long', Run, { name: 'x', labels: { team: 'v'.repeat(64) } }, 'metadata.labels[team]', 'FieldValueInvalid'],
    ['annotation key with a space', Run, { name: 'x', annotations: { 'my note': 'v' } }, 'metadata.annotations', 'FieldValueInvalid'],
    ['annotations over 256 KiB', Run, { name: 'x', annotations: { big: 'x'.repeat(262145) } }, 'metadata.annotations', 'FieldValueTooLong'],
    ['finalizer not a qualified name', Run, { name: 'x', finalizers: ['sidekicks.dev/work tree'] }, 'metadata.finalizers[0]', 'FieldValueInvalid'],
  ])('%s', (_name, def, metadata, field, reason) => {
    const errors = validateMetadata(def, { apiVersion: def.apiVersion, kind: def.kind, metadata });
    expect(errors.map((e) => [e.field, e.reason])).toContainEqual([field, reason]);
  });

  it('accepts Kubernetes-style labels, empty label values and prefixed keys', () => {
    const errors = validateMetadata(Run, {
      apiVersion: Run.apiVersion,
      kind: 'Run',
      metadata: {
        name: 'x',
        labels: { 'app.kubernetes.io/name': 'sidekicks', team: '', 'managed-by': 'gitops' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'Example.com/Note': 'upper case is fine in annotations' },
        finalizers: ['sidekicks.dev/worktree'],
      },
    });
    expect(errors).toEqual([]);
  });

  it('checks apiVersion and kind against the definition', () => {
    const errors = validateMetadata(Run, { apiVersion: 'v1', kind: 'Session', metadata: { name: 'x' } });
    expect(errors).toEqual([
      { field: 'apiVersion', message: 'Invalid value: "v1": must be sidekicks.dev/v1alpha1', reason: 'FieldValueInvalid' },
      { field: 'kind', message: 'Invalid value: "Session": must be Run', reason: 'FieldValueInvalid' },
    ]);
  });
});

describe('immutableFieldChanges', () => {
  const run = obj(Run, { session: 's', agent: 'a', prompt: 'p', priority: 0 });

  it.each([
    ['changing spec.session', Run, run, { session: 'other', agent: 'a', prompt: 'p', priority: 0 }, ['spec.session']],
    ['changing a mutable field', Run, run, { session: 's', agent: 'a', prompt: 'p', priority: 5 }, []],
    ['setting a previously unset immutable field', Run, run, { session: 's', agent: 'a', prompt: 'p', priority: 0, parent: 'p1' }, ['spec.parent']],
    ['any change to a template version', WorkflowTemplate, obj(WorkflowTemplate, template), { ...template, maxConcurrentPhases: 2 }, ['spec']],
    ['an identical template', WorkflowTemplate, obj(WorkflowTemplate, template), structuredClone(template), []],
  ])('%s', (_name, def, before, spec, fields) => {
    const errors = immutableFieldChanges(def, before, { ...before, spec });
    expect(errors.map((e) => e.field)).toEqual(fields);
    for (const e of errors) {
      expect(e.message).toMatch(/: field is immutable$/);
      expect(e.reason).toBe('FieldValueInvalid');
    }
  });

  it('lets a final field be set once, then refuses changing or removing it', () => {
    const pending = obj(Approval, { session: 's', run: 'r', category: 'ToolExecution', onExpiry: 'Reject' });
    const decided = { ...pending, spec: { ...(pending.spec as object), decision: { verdict: 'Approved' } } };
    expect(immutableFieldChanges(Approval, pending, decided)).toEqual([]);
    expect(immutableFieldChanges(Approval, decided, structuredClone(decided))).toEqual([]);
    for (const next of [{ ...decided, spec: { ...decided.spec, decision: { verdict: 'Rejected' } } }, pending]) {
      expect(immutableFieldChanges(Approval, decided, next)).toEqual([
        { field: 'spec.decision', message: 'Forbidden: spec.decision is final once set', reason: 'FieldValueForbidden' },
      ]);
    }
  });
});
