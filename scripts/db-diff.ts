// Writes a new migration from the change in prisma/schema.prisma since the
// last commit (or --from <file>): `npm run db:diff -- <name> [--from file]`.
// The SQL comes from Prisma's own schema engine (WebAssembly build), so it is
// what `prisma migrate dev` would write. Needs any reachable PostgreSQL
// (DATABASE_URL, default the local server); nothing is changed there.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { diffSchemas } from './schema-engine.ts';

const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith('--') && args[args.indexOf(a) - 1] !== '--from');
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error('Usage: npm run db:diff -- <snake_case_name> [--from previous-schema.prisma]');
  process.exit(1);
}
const fromIndex = args.indexOf('--from');
const previous =
  fromIndex >= 0
    ? readFileSync(args[fromIndex + 1]!, 'utf8')
    : execFileSync('git', ['show', 'HEAD:prisma/schema.prisma'], { encoding: 'utf8' });
const current = readFileSync('prisma/schema.prisma', 'utf8');
const sql = await diffSchemas(
  { path: 'schema.prisma', content: previous },
  { path: 'schema.prisma', content: current },
  process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
);
if (!sql.trim() || sql.includes('This is an empty migration')) {
  console.log('schema.prisma has no changes to migrate.');
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
const dir = path.join('prisma', 'migrations', `${stamp}_${name}`);
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, 'migration.sql'), sql);
console.log(`Wrote ${dir}/migration.sql`);
