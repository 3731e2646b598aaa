// Applies pending migrations to DATABASE_URL (`npm run db:migrate`).
import { migrate } from '../src/db/migrate.ts';
import { createLogger } from '../src/lib/logger.ts';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is required (the embedded database is migrated by `npm start` itself)');
  process.exit(1);
}
const applied = await migrate(url, createLogger('info'));
console.log(applied.length ? `Applied ${applied.length} migration(s).` : 'Database is up to date.');
