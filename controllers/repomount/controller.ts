/** Registers the RepoMount controller: a new mount, a new spec, or a resync inspects it again. */
import type { RepoMount } from '../../resources/kinds/repomount.js';
import type { ControllerContext } from '../context.js';
import type { Controller } from '../runtime/controller.js';
import { controllerFor } from '../runtime/builder.js';
import { RepoMountReconciler } from './reconciler.js';

export function registerRepoMountController(c: ControllerContext): Controller {
  return controllerFor<RepoMount>('RepoMount', 'repomounts', c.informers, c.log)
    .when((ch) => ch.type === 'add' || (ch.type === 'update' && (ch.old.metadata.generation !== ch.obj.metadata.generation || ch.old === ch.obj)))
    .reconcile(new RepoMountReconciler({ store: c.store, inspector: c.inspector }));
}
