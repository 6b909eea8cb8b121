/**
 * Every finding of the API fuzzer, kept as a request that is sent first in every run (fast-check
 * `examples`), so that a fixed finding stays fixed whatever the seed draws. Add one line per new
 * finding (see /work/notes/fuzz-findings.md for where each came from).
 */
import { GROUP, VERSION } from '../resources/meta.js';
import { nestedJson, type FuzzRequest } from './fuzz-generators.js';

const NS = `/apis/${GROUP}/${VERSION}/namespaces/default`;
const API_VERSION = `${GROUP}/${VERSION}`;
const session = (metadata: unknown): string => JSON.stringify({ apiVersion: API_VERSION, kind: 'Session', metadata, spec: { title: 'regression' } });
const refused = (why: string) => ({ kind: 'refused', why }) as const;

/** Valid creates the later requests act on (the corpus runs first, on an empty store). */
const setup: FuzzRequest[] = [
  { method: 'POST', path: `${NS}/sessions`, contentType: 'application/json', body: session({ name: 'rg-status' }), names: [], shape: 'regression setup session rg-status' },
  { method: 'POST', path: `${NS}/sessions`, contentType: 'application/json', body: session({ name: 'rg-null' }), names: [], shape: 'regression setup session rg-null' },
  { method: 'POST', path: `${NS}/agents`, contentType: 'application/json', body: JSON.stringify({ apiVersion: API_VERSION, kind: 'Agent', metadata: { name: 'rg-agent' }, spec: { driver: 'Scripted', script: [{ say: 'x' }] } }), names: [], shape: 'regression setup agent rg-agent' },
];

/** The findings so far, each as the request that showed it (after the creates they need). */
export const regressions: FuzzRequest[] = [
  ...setup,
  { method: 'POST', path: `${NS}/sessions`, contentType: 'application/json', body: session({ name: 'rg-fin', finalizers: [5] }), names: ['metadata.finalizers', 'finalizers'], shape: 'regression finalizers [5]', expect: refused('metadata.finalizers=array(number)') },
  { method: 'POST', path: `${NS}/sessions`, contentType: 'application/json', body: session({ generateName: 5 }), names: ['metadata.generateName', 'generateName'], shape: 'regression generateName 5', expect: refused('metadata.generateName=number') },
  { method: 'POST', path: `${NS}/sessions`, contentType: 'application/json', body: `{"apiVersion":"${API_VERSION}","kind":"Session","metadata":{"name":"rg-deep"},"spec":{"title":"t","zz":${nestedJson(5000)}}}`, names: ['nest', 'depth', 'limit'], shape: 'regression nested 5000' },
  { method: 'GET', path: '//', names: ['path'], shape: 'regression GET //' },
  { method: 'HEAD', path: '//', names: ['path'], shape: 'regression HEAD //' },
  { method: 'GET', path: '/é', names: ['path'], shape: 'regression non-ASCII path' },
  { method: 'HEAD', path: '/é', names: ['path'], shape: 'regression HEAD non-ASCII path' },
  { method: 'BREW', path: '/', names: ['method'], shape: 'regression unknown method' },
  { method: 'GET', path: `${NS}/sessions?limit=99999999999999999999`, names: ['limit'], shape: 'regression limit past int64', expect: refused('limit is not an int64') },
  { method: 'GET', path: `${NS}/sessions?timeoutSeconds=99999999999999999999`, names: ['timeoutSeconds'], shape: 'regression timeoutSeconds past int64', expect: refused('timeoutSeconds is not an int64') },
  { method: 'GET', path: `${NS}/sessions?watch=on`, names: ['watch'], shape: 'regression watch=on', expect: refused('watch is not a ParseBool value') },
  { method: 'GET', path: `${NS}/sessions?watch=True&timeoutSeconds=1`, names: ['watch'], shape: 'regression watch=True', expect: { kind: 'watch' } },
  { method: 'GET', path: `${NS}/sessions?fieldSelector=${encodeURIComponent('spec.sesion!=x')}`, names: ['fieldSelector', 'spec.sesion'], shape: 'regression unknown field selector', expect: refused('field selector on a field the kind does not declare') },
  { method: 'GET', path: `${NS}/sessions?watch=true&timeoutSeconds=99999999999`, names: ['timeoutSeconds'], shape: 'regression watch timer past 2^31 ms' },
  { method: 'PUT', path: `${NS}/sessions/rg-status/status`, contentType: 'application/json', body: session({ name: 'rg-status', ownerReferences: 5 }), names: ['metadata.ownerReferences', 'ownerReferences'], shape: 'regression PUT status ill-typed metadata', expect: refused('metadata.ownerReferences=number') },
  { method: 'POST', path: `/apis/${GROUP}/${VERSION}/participants`, contentType: 'application/json', body: JSON.stringify({ apiVersion: API_VERSION, kind: 'Participant', metadata: { name: 'rg-p', namespace: 5 }, spec: { identity: 'x' } }), names: ['metadata.namespace', 'namespace'], shape: 'regression cluster-scoped namespace 5', expect: refused('metadata.namespace=number') },
  { method: 'DELETE', path: `${NS}/agents/rg-agent`, contentType: 'application/json', body: '{"dryRun":"All"}', names: ['dryRun'], shape: 'regression DeleteOptions dryRun string', dryRun: true },
  { method: 'APPLY', path: '', body: 'apiVersion: 5\nkind: Session\nmetadata:\n  name: rg-apply\nspec:\n  title: t\n', names: ['apiVersion'], shape: 'regression apply 1 doc apiVersion=number', expect: refused('apiVersion=number') },
  { method: 'APPLY', path: '', body: 'apiVersion: sidekicks.dev/v1alpha1\nkind: Session\nmetadata:\n  name: rg-annotations\n  annotations: x\nspec:\n  title: t\n', names: ['metadata.annotations', 'annotations'], shape: 'regression apply 1 doc metadata.annotations=string', expect: refused('metadata.annotations=string') },
  { method: 'PUT', path: `${NS}/sessions/rg-null`, contentType: 'application/json', body: session(null), names: ['metadata', 'name'], shape: 'regression PUT metadata null', expect: refused('metadata=null') },
];
