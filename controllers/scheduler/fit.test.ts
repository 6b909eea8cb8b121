/** The scheduler's pure predicates: label selectors as Kubernetes reads them, Seed 001's owner rule, the message, the pick. */
import { describe, expect, it } from '@jest/globals';
import type { NodeSelector, RepoMount } from '../../resources/kinds/repomount.js';
import type { RuntimeNode } from '../../resources/kinds/runtimenode.js';
import { holdsRepository, Misfit, ownerAdmits, pickNode, selectorMatches, unschedulableMessage, type RunNeeds } from './fit.js';

const node = (name: string, spec: Partial<RuntimeNode['spec']> = {}): RuntimeNode =>
  ({ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'RuntimeNode', metadata: { name }, spec: { owner: 'alice', maxRuns: 5, ...spec } }) as RuntimeNode;
const mount = (spec: Partial<RepoMount['spec']>): RepoMount =>
  ({ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'RepoMount', metadata: { name: 'repo', namespace: 'default' }, spec: { session: 's', path: '/r', mode: 'Worktree', branchPrefix: 'sidekicks/', cleanup: 'OnDelete', ...spec } }) as RepoMount;
const needs: RunNeeds = { namespace: 'team', session: 'auth', creator: 'alice', driver: 'Scripted' };

describe('selectorMatches', () => {
  const labels = { gpu: 'true', zone: 'eu' };
  it.each<[string, NodeSelector, boolean]>([
    ['empty selector matches every node', {}, true],
    ['matchLabels equal', { matchLabels: { zone: 'eu' } }, true],
    ['matchLabels differ', { matchLabels: { zone: 'us' } }, false],
    ['In holds', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['us', 'eu'] }] }, true],
    ['In on a missing key fails', { matchExpressions: [{ key: 'os', operator: 'In', values: ['linux'] }] }, false],
    ['NotIn on a missing key holds', { matchExpressions: [{ key: 'os', operator: 'NotIn', values: ['linux'] }] }, true],
    ['NotIn on a listed value fails', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['eu'] }] }, false],
    ['Exists', { matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }, true],
    ['DoesNotExist', { matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }, false],
    ['every requirement must hold', { matchLabels: { zone: 'eu' }, matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }, false],
  ])('%s', (_, selector, expected) => {
    expect(selectorMatches(selector, labels)).toBe(expected);
  });
});

describe('holdsRepository', () => {
  it('follows the mount: no mount or no placement fits anywhere, nodeName and nodeSelector must both agree', () => {
    const laptop = node('laptop', { labels: { repo: 'api' } });
    expect(holdsRepository(laptop, undefined)).toBe(true);
    expect(holdsRepository(laptop, mount({}))).toBe(true);
    expect(holdsRepository(laptop, mount({ nodeName: 'laptop' }))).toBe(true);
    expect(holdsRepository(laptop, mount({ nodeName: 'desktop' }))).toBe(false);
    expect(holdsRepository(laptop, mount({ nodeSelector: { matchLabels: { repo: 'api' } } }))).toBe(true);
    expect(holdsRepository(laptop, mount({ nodeName: 'laptop', nodeSelector: { matchLabels: { repo: 'web' } } }))).toBe(false);
  });
});

describe('ownerAdmits (Seed 001: membership never allows execution on another person\'s machine)', () => {
  it.each<[string, Partial<RuntimeNode['spec']>, RunNeeds, ReturnType<typeof ownerAdmits>]>([
    ["the owner's own run", { owner: 'alice' }, needs, 'owner'],
    ["someone else's run, no grant", { owner: 'bob' }, needs, undefined],
    ['a run with no recorded creator, no grant', { owner: 'alice' }, { ...needs, creator: undefined }, undefined],
    ['the session granted by name', { owner: 'bob', sessions: ['team/auth'] }, needs, 'grant'],
    ['every session of the namespace granted', { owner: 'bob', sessions: ['team/*'] }, needs, 'grant'],
    ['another namespace granted', { owner: 'bob', sessions: ['other/*', 'other/auth'] }, needs, undefined],
  ])('%s', (_, spec, run, expected) => {
    expect(ownerAdmits(node('n', spec), run)).toBe(expected);
  });
});

describe('unschedulableMessage', () => {
  it('counts nodes per reason, sorted, like kube-scheduler', () => {
    const withMount = { ...needs, mount: mount({ nodeName: 'x' }) };
    expect(unschedulableMessage(3, [Misfit.NotReady, Misfit.NoRepository, Misfit.NotReady], withMount)).toBe(
      "0/3 nodes are available: 1 node(s) didn't have the repository of repomount repo, 2 node(s) were not ready.",
    );
    expect(unschedulableMessage(2, [Misfit.NotAllowed, Misfit.NoDriver], needs)).toBe(
      "0/2 nodes are available: 1 node(s) belonged to someone else and did not allow session team/auth, 1 node(s) didn't offer the Scripted driver.",
    );
  });
});

describe('pickNode', () => {
  it('prefers the most free slots, then the first name', () => {
    const pick = (fits: [string, number][]) => pickNode(fits.map(([name, free]) => ({ node: node(name), free })))?.node.metadata.name;
    expect(pick([['a', 1], ['b', 3], ['c', 2]])).toBe('b');
    expect(pick([['zeta', 2], ['alpha', 2]])).toBe('alpha');
    expect(pick([])).toBeUndefined();
  });
});
