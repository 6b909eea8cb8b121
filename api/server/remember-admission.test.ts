/**
 * The remembered part of a decision: which patterns are over-broad (422 naming the rule) and who
 * may remember at which scope (403), with a fake authority and a real SQLite store.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scheme } from '../../resources/index.js';
import type { Approval } from '../../resources/kinds/approval.js';
import { CREATED_BY, Verb } from '../auth/model.js';
import type { ApiError } from '../errors.js';
import { openStore } from '../store/open-store.js';
import { schemeResolver } from '../store/scheme-resolver.js';
import type { Store } from '../store/store.js';
import { admitRemember, matchesEverything, overBroadRemember, RememberRule, type RememberAuthority } from './remember-admission.js';

type Decision = NonNullable<Approval['spec']['decision']>;

function approval(category: string, decision: Decision | undefined, request: Approval['spec']['request'] = { tool: 'RunCommand', command: 'npm test' }): Approval {
  return {
    apiVersion: 'sidekicks.dev/v1alpha1',
    kind: 'Approval',
    metadata: { name: 'a1', namespace: 'default' },
    spec: { session: 's1', run: 'r1', category, request, onExpiry: 'Reject', ...(decision ? { decision } : {}) },
  } as Approval;
}

const approve = (remember: Decision['remember']): Decision => ({ verdict: 'Approved', remember });

describe('matchesEverything', () => {
  test.each([
    ['*', true],
    ['**', true],
    ['?*', true],
    ['*?*', true],
    ['{*,npm}', true],
    ['@(*)', true],
    ['[^x]*', true],
    ['!(x)', true],
    ['npm test*', false],
    ['npm *', false],
    ['*.github.com', false],
    ['mcp__github__*', false],
    ['?', false],
    ['src/**', false],
    ['', false],
  ])('%j → %s', (glob, expected) => {
    expect(matchesEverything(glob)).toBe(expected);
  });
});

describe('overBroadRemember', () => {
  const rules = (a: Approval) => overBroadRemember(a).map((e) => [e.field, /\(rule ([a-z-]+)\)/.exec(e.message)?.[1]]);

  test.each([
    ['command "*"', 'ToolExecution', { command: '*' }, [['spec.decision.remember.pattern.command', RememberRule.NoMatchEverything]]],
    ['command "**" with a tool', 'ToolExecution', { tool: 'RunCommand', command: '**' }, [['spec.decision.remember.pattern.command', RememberRule.NoMatchEverything]]],
    ['a tool but no command, for a command', 'ToolExecution', { tool: 'RunCommand' }, [['spec.decision.remember.pattern.command', RememberRule.NamesTheCommand]]],
    ['a path pattern for a FileWrite', 'FileWrite', { path: 'src/**' }, [['spec.decision.remember.pattern', RememberRule.AlwaysAskRemembersTheRequest]]],
    ['a host for NetworkAccess', 'NetworkAccess', { host: 'registry.npmjs.org' }, [['spec.decision.remember.pattern', RememberRule.AlwaysAskRemembersTheRequest]]],
    ['any pattern for DestructiveGit', 'DestructiveGit', { command: 'git push --force' }, [['spec.decision.remember.pattern', RememberRule.AlwaysAskRemembersTheRequest]]],
    ['any pattern for McpElicitation', 'McpElicitation', { tool: 'x' }, [['spec.decision.remember.pattern', RememberRule.AlwaysAskRemembersTheRequest]]],
  ])('refuses %s', (_what, category, pattern, expected) => {
    expect(rules(approval(category, approve({ scope: 'Run', pattern })))).toEqual(expected);
  });

  test('a tool call without a command: a tool that matches everything is refused, a named one is not', () => {
    const mcp = { tool: 'mcp__github__create_issue' };
    expect(rules(approval('ToolExecution', approve({ scope: 'Run', pattern: { tool: '*' } }), mcp))).toEqual([
      ['spec.decision.remember.pattern.tool', RememberRule.NoMatchEverything],
    ]);
    expect(overBroadRemember(approval('ToolExecution', approve({ scope: 'Run', pattern: { tool: 'mcp__github__*' } }), mcp))).toEqual([]);
  });

  test.each([
    ['a narrow command glob', 'ToolExecution', approve({ scope: 'Session', pattern: { command: 'npm test*' } })],
    ['no pattern: the request itself', 'FileWrite', approve({ scope: 'Session' })],
    ['an empty pattern: the request itself', 'NetworkAccess', approve({ scope: 'Run', pattern: { host: '' } })],
    ['a remembered rejection, however broad (it only tightens)', 'ToolExecution', { verdict: 'Rejected', remember: { scope: 'Run', pattern: { command: '*' } } } as Decision],
    ['a decision without remember', 'ToolExecution', { verdict: 'Approved' } as Decision],
  ])('admits %s', (_what, category, decision) => {
    expect(overBroadRemember(approval(category, decision))).toEqual([]);
  });
});

describe('admitRemember', () => {
  let dir: string;
  let store: Store;
  const asked: string[] = [];
  /** Lets `lead` write ApprovalPolicies; nobody else. */
  const authority: RememberAuthority = {
    async mayWrite(user, verb, plural, namespace, name) {
      asked.push(`${user} ${verb} ${plural} ${namespace}/${name}`);
      return user === 'lead' ? { allowed: true, denied: false, policies: ['lead'] } : { allowed: false, denied: false, policies: [] };
    },
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sidekick-remember-'));
    store = await openStore({ kind: 'sqlite', path: join(dir, 'db.sqlite') }, schemeResolver(scheme));
    await store.create('runs', {
      apiVersion: 'sidekicks.dev/v1alpha1',
      kind: 'Run',
      metadata: { name: 'r1', namespace: 'default', annotations: { [CREATED_BY]: 'carol' } },
      spec: { session: 's1', agent: 'coder', prompt: 'go' },
    });
  });
  afterAll(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const refusal = (p: Promise<void>) => p.then(() => undefined, (e: ApiError) => ({ code: e.code, message: e.message }));

  test("the run's creator remembers for their run without asking the authorizer", async () => {
    asked.length = 0;
    await admitRemember(undefined, approval('ToolExecution', approve({ scope: 'Run' })), { store, authority, user: 'carol' });
    expect(asked).toEqual([]);
  });

  test('wider scopes need the right to write the policy the rule goes into: create when it is missing, update when it exists', async () => {
    asked.length = 0;
    const session = await refusal(admitRemember(undefined, approval('ToolExecution', approve({ scope: 'Session' })), { store, authority, user: 'carol' }));
    expect(session).toEqual({
      code: 403,
      message: `approvals.sidekicks.dev "a1" is forbidden: remembering at Session scope writes approvalpolicies "remembered-session-s1": User "carol" cannot create approvalpolicies "remembered-session-s1" in the namespace "default" (rule ${RememberRule.WithinAuthority})`,
    });
    expect(await refusal(admitRemember(undefined, approval('ToolExecution', approve({ scope: 'Agent' })), { store, authority, user: 'carol' }))).toMatchObject({ code: 403 });
    await store.create('approvalpolicies', { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'ApprovalPolicy', metadata: { name: 'remembered-session-s1', namespace: 'default' }, spec: { session: 's1' } });
    await admitRemember(undefined, approval('ToolExecution', approve({ scope: 'Session' })), { store, authority, user: 'lead' });
    expect(asked).toEqual([
      `carol ${Verb.Create} approvalpolicies default/remembered-session-s1`,
      `carol ${Verb.Create} approvalpolicies default/remembered-agent-coder`,
      `lead ${Verb.Update} approvalpolicies default/remembered-session-s1`,
    ]);
  });

  test("someone else's run needs the right to write its run policy", async () => {
    expect(await refusal(admitRemember(undefined, approval('ToolExecution', approve({ scope: 'Run' })), { store, authority, user: 'dave' }))).toMatchObject({ code: 403 });
  });

  test('without an authority API requests remember for their own runs only (fail closed); in-process writers are trusted', async () => {
    expect(await refusal(admitRemember(undefined, approval('ToolExecution', approve({ scope: 'Session' })), { store, user: 'lead' }))).toMatchObject({ code: 403 });
    await admitRemember(undefined, approval('ToolExecution', approve({ scope: 'Session' })), { store });
  });

  test('over-broad is 422 for everyone, the Owner included, and is checked before authority', async () => {
    const broad = await refusal(admitRemember(undefined, approval('ToolExecution', approve({ scope: 'Session', pattern: { command: '*' } })), { store, authority, user: 'lead' }));
    expect(broad).toEqual({
      code: 422,
      message: `Approval "a1" is invalid: spec.decision.remember.pattern.command: Invalid value: "*": matches every command (rule ${RememberRule.NoMatchEverything})`,
    });
  });

  test('an answer to a question remembers nothing, so it needs no authority', async () => {
    await admitRemember(undefined, approval('UserInput', approve({ scope: 'Session' }), { summary: 'Which db?' }), { store, authority, user: 'carol' });
  });

  test('a decision already stored is final and not admitted again', async () => {
    const decided = approval('ToolExecution', approve({ scope: 'Session' }));
    await admitRemember(decided, decided, { store, authority, user: 'carol' });
  });
});
