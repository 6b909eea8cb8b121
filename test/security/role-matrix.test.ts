/**
 * The whole role matrix — every role, every resource type, every verb, on one's own object and on
 * someone else's — decided by the shipped Cedar policies and checked against the roles as they are
 * documented (DOMAIN.md "Control plane, people and trust", api/auth/policies/roles.cedar), written
 * out here independently of the policies. Remember scopes have their own suite
 * (api/server/decider-authority.test.ts).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { scheme } from '../../resources/index.js';
import { CedarAuthorizer } from '../../api/auth/authorizer.js';
import { AuthzModel } from '../../api/auth/model.js';
import { roleMatrix, type MatrixCell } from '../../api/auth/role-matrix.js';

const READ = ['get', 'list', 'watch'];
const RUNTIME_READS = ['runs', 'sessions', 'agents', 'repomounts', 'approvalpolicies', 'interventions', 'runtimenodes'];

/** What the documentation says a role may do. */
function documented(role: string, plural: string, verb: string, own: boolean): boolean {
  const read = READ.includes(verb);
  if (role === 'Owner') return true;
  // Anyone may ask what they may do; readers may also read the (empty) review collections.
  if (plural === 'selfsubjectaccessreviews' || plural === 'selfsubjectrulesreviews') return verb === 'create' || (read && (role === 'Viewer' || role === 'Collaborator'));
  if (role === 'none' || plural === 'tokens') return false;
  switch (role) {
    case 'Viewer':
      return read;
    case 'Collaborator':
      return (
        read ||
        (plural === 'runs' && verb === 'create') ||
        (plural === 'runs' && own && ['update', 'patch', 'delete'].includes(verb)) ||
        (plural === 'interventions' && own && verb === 'create') ||
        (plural === 'approvals' && own && ['update', 'patch'].includes(verb))
      );
    case 'RuntimeContributor':
      return (
        (read && RUNTIME_READS.includes(plural)) ||
        (plural === 'events' && verb === 'create') ||
        (plural === 'runtimenodes' && verb === 'create') ||
        (plural === 'runtimenodes' && own && ['update', 'patch'].includes(verb))
      );
    case 'Node':
      // Its Lease (namespace sidekick-node-lease) and its RuntimeNode's status are outside this
      // matrix (namespace default, no subresource): api/runtime/runtime-api.test.ts covers them.
      return read && [...RUNTIME_READS, 'approvals', 'tools'].includes(plural);
    default:
      return false;
  }
}

let cells: MatrixCell[];

beforeAll(async () => {
  const model = new AuthzModel(scheme);
  cells = roleMatrix(await CedarAuthorizer.load(model, undefined), model);
});

describe('the role matrix for all kinds and verbs', () => {
  it('covers every role, resource type and verb', () => {
    expect(new Set(cells.map((c) => c.role))).toEqual(new Set(['Owner', 'Collaborator', 'Viewer', 'RuntimeContributor', 'Node', 'none']));
    expect(new Set(cells.map((c) => c.type.plural)).size).toBe(new AuthzModel(scheme).types.length);
    expect(cells.length).toBe(6 * new AuthzModel(scheme).types.length * 8);
  });

  it('decides each cell as documented, for one\'s own objects and for anyone\'s', () => {
    const wrong = cells.flatMap((c) => {
      const out: string[] = [];
      if (c.own !== documented(c.role, c.type.plural, c.verb, true)) out.push(`${c.role} ${c.verb} own ${c.type.plural}: ${c.own}`);
      if (c.other !== documented(c.role, c.type.plural, c.verb, false)) out.push(`${c.role} ${c.verb} someone else's ${c.type.plural}: ${c.other}`);
      return out;
    });
    expect(wrong).toEqual([]);
  });
});
