/**
 * Kubernetes name rules (k8s.io/apimachinery/pkg/util/validation) with its exact messages, so
 * `metadata.name: Invalid value: "Foo": a lowercase RFC 1123 subdomain must ...` reads the same
 * from us as from a real API server.
 */
import type { FieldError } from './field-error.js';

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
const QUALIFIED_NAME = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE = `(${QUALIFIED_NAME})?`;
/** Kubernetes caps the total size of an object's annotations (keys and values) at 256 KiB. */
export const TOTAL_ANNOTATION_BYTES = 256 * 1024;

const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '" +
  DNS1123_SUBDOMAIN +
  "')";
const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '" +
  DNS1123_LABEL +
  "')";
const QUALIFIED_NAME_MESSAGE =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '" +
  QUALIFIED_NAME +
  "')";
const LABEL_VALUE_MESSAGE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '" +
  LABEL_VALUE +
  "')";

const matches = (re: string, s: string) => new RegExp(`^${re}$`).test(s);

/** Checks a DNS-1123 subdomain (object names); `shown` is the value quoted in messages. */
export function dnsSubdomain(field: string, name: string, shown: string = name): FieldError[] {
  const errors: FieldError[] = [];
  if (name.length > 253) errors.push({ field, message: `Invalid value: ${show(shown)}: must be no more than 253 characters`, reason: 'FieldValueInvalid' });
  if (!matches(DNS1123_SUBDOMAIN, name)) errors.push({ field, message: `Invalid value: ${show(shown)}: ${SUBDOMAIN_MESSAGE}`, reason: 'FieldValueInvalid' });
  return errors;
}

/** Checks a DNS-1123 label (namespaces). */
export function dnsLabel(field: string, name: string): FieldError[] {
  const errors: FieldError[] = [];
  if (name.length > 63) errors.push({ field, message: `Invalid value: ${show(name)}: must be no more than 63 characters`, reason: 'FieldValueInvalid' });
  if (!matches(DNS1123_LABEL, name)) errors.push({ field, message: `Invalid value: ${show(name)}: ${LABEL_MESSAGE}`, reason: 'FieldValueInvalid' });
  return errors;
}

/** Checks a qualified name (label and annotation keys, finalizers): `[prefix/]name`, the prefix a DNS subdomain, the name ≤ 63 characters. */
export function qualifiedName(field: string, key: string, shown: string = key): FieldError[] {
  const invalid = (detail: string): FieldError => ({ field, message: `Invalid value: ${show(shown)}: ${detail}`, reason: 'FieldValueInvalid' });
  const parts = key.split('/');
  if (parts.length > 2) {
    return [invalid(`a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName', regex used for validation is '${QUALIFIED_NAME}')`)];
  }
  const [prefix, name] = parts.length === 2 ? [parts[0]!, parts[1]!] : [undefined, parts[0]!];
  const errors: FieldError[] = [];
  if (prefix !== undefined) {
    if (prefix.length === 0) errors.push(invalid('prefix part must be non-empty'));
    else if (!matches(DNS1123_SUBDOMAIN, prefix) || prefix.length > 253) errors.push(invalid(`prefix part ${SUBDOMAIN_MESSAGE}`));
  }
  if (name.length === 0) errors.push(invalid('name part must be non-empty'));
  else {
    if (name.length > 63) errors.push(invalid('name part must be no more than 63 characters'));
    if (!matches(QUALIFIED_NAME, name)) errors.push(invalid(QUALIFIED_NAME_MESSAGE));
  }
  return errors;
}

/** Checks a label value: empty, or ≤ 63 alphanumerics, '-', '_', '.' starting and ending alphanumeric. */
export function labelValue(field: string, key: string, value: unknown): FieldError[] {
  const at = `${field}[${key}]`;
  if (typeof value !== 'string') return [{ field: at, message: `Invalid value: ${show(value)}: must be of type string`, reason: 'FieldValueTypeInvalid' }];
  const errors: FieldError[] = [];
  if (value.length > 63) errors.push({ field: at, message: `Invalid value: ${show(value)}: must be no more than 63 characters`, reason: 'FieldValueInvalid' });
  if (!matches(LABEL_VALUE, value)) errors.push({ field: at, message: `Invalid value: ${show(value)}: ${LABEL_VALUE_MESSAGE}`, reason: 'FieldValueInvalid' });
  return errors;
}

/** Formats a value the way Kubernetes prints it after `Invalid value:` (strings quoted, numbers bare). */
export function show(v: unknown): string {
  return v === undefined ? 'null' : JSON.stringify(v);
}
