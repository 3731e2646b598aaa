// Regenerates every generated file: GraphQL resolver types (codegen.ts), the
// Prisma client (prisma/schema.prisma) and the example app's operation types
// (examples/web/codegen.ts). With --check it fails when the
// committed files were stale, which CI runs before the tests.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const GENERATED = ['src/graphql/resolvers.generated.ts', 'src/db/generated', 'examples/web/src/gql'];
const check = process.argv.includes('--check');

function snapshot(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (p: string) => {
    if (!existsSync(p)) return;
    if (statSync(p).isDirectory()) for (const entry of readdirSync(p)) walk(path.join(p, entry));
    else files.set(p, readFileSync(p, 'utf8'));
  };
  GENERATED.forEach(walk);
  return files;
}

const before = snapshot();
const bin = (name: string) => path.join('node_modules', '.bin', name);
// `prisma generate` never runs the native schema engine, but the CLI insists
// on finding one at start (and would download it); any existing file does.
execFileSync(bin('prisma'), ['generate'], {
  stdio: 'inherit',
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
});
execFileSync(bin('graphql-codegen'), ['--config', 'codegen.ts'], { stdio: 'inherit' });
execFileSync(path.resolve(bin('graphql-codegen')), ['--config', 'codegen.ts'], { stdio: 'inherit', cwd: 'examples/web' });
const after = snapshot();

const changed = [...new Set([...before.keys(), ...after.keys()])].filter((f) => before.get(f) !== after.get(f));
if (changed.length > 0) {
  console.log(`Regenerated ${changed.length} file(s):\n  ${changed.join('\n  ')}`);
  if (check) {
    console.error('Generated code was stale: run `npm run codegen` and commit the result.');
    process.exit(1);
  }
} else {
  console.log('Generated code is current.');
}
