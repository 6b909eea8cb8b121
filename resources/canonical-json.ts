/** Canonical JSON (RFC 8785): one text per value, whatever the key order, for hashes and digests. */
import canonicalizeModule from 'canonicalize';

// canonicalize is CommonJS (`module.exports = fn`) but its typings declare `export default`; under
// NodeNext the default import is the function at run time, so only the type needs correcting.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

export function canonicalJson(value: unknown): string {
  return canonicalize(value) ?? '';
}
