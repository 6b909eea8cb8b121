/**
 * Every top-level verb of `sidekick`, in help order. A list of its own (not the keys of the
 * command table) so `completion` can name the verbs without importing the table that loads it.
 */
export const verbs = [
  'init',
  'get',
  'describe',
  'apply',
  'merge',
  'delete',
  'diff',
  'edit',
  'patch',
  'label',
  'annotate',
  'wait',
  'explain',
  'api-resources',
  'events',
  'run',
  'logs',
  'post',
  'timeline',
  'replay',
  'artifact',
  'approve',
  'deny',
  'respond',
  'steer',
  'interrupt',
  'cancel',
  'pause',
  'resume',
  'submit',
  'workflow',
  'auth',
  'token',
  'version',
  'completion',
  'config',
  'daemon',
  'controlplane',
  'serve',
  'options',
] as const;

/** One verb. */
export type Verb = (typeof verbs)[number];
