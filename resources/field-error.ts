/**
 * The shape of one validation failure, shared by the schema validator, the cross-field rules and
 * the name checks (each of which the validator imports, so the type cannot live in validation.ts).
 */

/** One invalid field, in the shape of a Kubernetes `Status` cause. */
export interface FieldError {
  /** Dotted path kubectl-style: `spec.agent`, `spec.members[0].role`, `metadata.labels[team]`. */
  field: string;
  /** What is wrong, as Kubernetes words it: `Required value`, `Unsupported value: ...`, `Invalid value: ...`. */
  message: string;
  reason:
    | 'FieldValueRequired'
    | 'FieldValueInvalid'
    | 'FieldValueNotSupported'
    | 'FieldValueTypeInvalid'
    | 'FieldValueDuplicate'
    | 'FieldValueTooLong'
    | 'FieldValueForbidden';
}
