/** Kubernetes metav1.Time: RFC 3339 in UTC with second precision (`2026-12-05T04:05:06Z`). */
export function metaTime(at: Date | number): string {
  return (typeof at === 'number' ? new Date(at) : at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
