/**
 * The role matrix: every role against every resource type and verb, for an object of the caller's
 * own and one of somebody else's, decided by the loaded policies. The security suite checks it
 * against the roles as DOMAIN.md states them; `hack/role-matrix.ts` prints it.
 */
import type { CedarAuthorizer } from './authorizer.js';
import { RESOURCE_VERBS, type AuthzModel, type ResourceType, type Verb } from './model.js';
import { Role } from './roles.js';

/** One cell: may `role` do `verb` on `type`, on its own object and on someone else's. */
export interface MatrixCell {
  role: Role | 'none';
  type: ResourceType;
  verb: Verb;
  own: boolean;
  other: boolean;
}

/** Verbs that address a collection (no object name, so no owner either). */
const COLLECTION_VERBS: readonly string[] = ['list', 'watch', 'deletecollection'];

/** Decides every cell of the matrix with `authz`. */
export function roleMatrix(authz: CedarAuthorizer, model: AuthzModel): MatrixCell[] {
  const cells: MatrixCell[] = [];
  for (const role of [...Object.values(Role), 'none'] as const) {
    const name = `${role.toLowerCase()}-user`;
    const user = role === 'none' ? { name } : { name, role };
    for (const type of model.types) {
      for (const verb of RESOURCE_VERBS) {
        const decide = (owner: string): boolean => {
          const collection = COLLECTION_VERBS.includes(verb);
          const d = authz.authorize({
            user,
            verb,
            resource: type,
            namespace: type.namespaced ? 'default' : '',
            name: collection || verb === 'create' ? '' : 'x',
            subresource: '',
            ...(collection ? {} : type.runScoped ? { runOwner: owner } : { owner }),
          });
          return d.allowed;
        };
        cells.push({ role, type, verb, own: decide(name), other: decide('someone-else') });
      }
    }
  }
  return cells;
}

/** The matrix as a markdown table: a row per resource type, a column per role, the verbs allowed (own / anyone's). */
export function matrixTable(cells: readonly MatrixCell[]): string {
  const roles = [...new Set(cells.map((c) => c.role))];
  const types = [...new Set(cells.map((c) => c.type))];
  const abbrev = (verbs: string[]): string => (verbs.length === RESOURCE_VERBS.length ? 'all' : verbs.join(' ') || '—');
  const lines = [`| resource | ${roles.join(' | ')} |`, `|---|${roles.map(() => '---').join('|')}|`];
  for (const type of types) {
    const row = roles.map((role) => {
      const mine = cells.filter((c) => c.role === role && c.type === type);
      const anyone = mine.filter((c) => c.other).map((c) => c.verb);
      const onlyOwn = mine.filter((c) => c.own && !c.other).map((c) => c.verb);
      return [abbrev(anyone), onlyOwn.length ? `own: ${onlyOwn.join(' ')}` : ''].filter((s) => s && s !== '—').join('; ') || '—';
    });
    lines.push(`| ${type.plural}${type.group && type.group !== 'sidekicks.dev' ? `.${type.group}` : ''} | ${row.join(' | ')} |`);
  }
  return lines.join('\n');
}
