/** The digest that names a template version: sha256 of the canonical JSON (RFC 8785) of its spec. */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.js';
import type { WorkflowTemplateSpec } from '../kinds/workflowtemplate.js';

export function templateDigest(spec: WorkflowTemplateSpec): string {
  return `sha256:${createHash('sha256').update(canonicalJson(spec)).digest('hex')}`;
}
