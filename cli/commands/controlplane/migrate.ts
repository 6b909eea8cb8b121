/** `sidekick controlplane migrate`: the control plane's schema migrations, applied or (`--dry-run`) printed. */
import { Command, Option, UsageError } from 'clipanion';
import { SidekickCommand } from '../../base-command.js';

export class ControlPlaneMigrateCommand extends SidekickCommand {
  static override paths = [['controlplane', 'migrate']];
  static override usage = Command.Usage({
    category: 'Control plane',
    description: 'Apply the pending schema migrations, or print them',
    details: `
      Replicas migrate by themselves at start, under an advisory lock, so two replicas starting at once migrate once; run
      this to see (\`--dry-run\`) or apply the plan beforehand, e.g. in a release pipeline. A database migrated by a newer
      sidekick is refused: an older binary never writes a schema it does not know.
    `,
    examples: [
      ['Print the plan, changing nothing', 'sidekick controlplane migrate --database postgres://… --dry-run'],
      ['Apply it', 'sidekick controlplane migrate --database postgres://…'],
    ],
  });

  database = Option.String('--database', { description: 'postgres:// URL of the shared database ($SIDEKICK_DATABASE_URL)' });
  dryRun = Option.Boolean('--dry-run', false, { description: 'Print the pending migrations and change nothing' });
  allowInsecureDatabase = Option.Boolean('--allow-insecure-database', false, { description: 'Connect to a Postgres server off this machine without verified TLS' });

  async execute(): Promise<number> {
    const database = this.database ?? this.context.env.SIDEKICK_DATABASE_URL;
    if (!database) throw new UsageError('required flag(s) "database" not set (or $SIDEKICK_DATABASE_URL)');
    const { checkDatabaseUrl, redactUrl } = await import('../../controlplane/options.js');
    try {
      checkDatabaseUrl(database, this.allowInsecureDatabase);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const { controlPlaneMigrations } = await import('../../controlplane/migrations.js');
    const { migratePostgres, planPostgresMigrations, withMigrationPool } = await import('../../../api/store/postgres-migrate.js');
    const sets = controlPlaneMigrations();
    const steps = await withMigrationPool(database, (pool) => (this.dryRun ? planPostgresMigrations(pool, sets) : migratePostgres(pool, sets)));
    const where = redactUrl(database);
    if (!steps.length) {
      this.out(`schema of ${where} is up to date`);
      return 0;
    }
    this.out(this.dryRun ? `${steps.length} migration(s) would run on ${where}:` : `${steps.length} migration(s) applied to ${where}:`);
    for (const s of steps) {
      this.out(`  ${s.component} ${s.version}`);
      for (const statement of s.statements) this.out(`    ${statement.replace(/\s+/g, ' ').trim()};`);
    }
    return 0;
  }
}
