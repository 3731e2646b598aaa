// Fails when ./schema.graphql breaks clients of the schema it is compared
// with: main's (origin/main when there is one), or the file given with
// `--against <file>`. Deprecate first: removing a field, input field or enum
// value that was already @deprecated there passes (graphql-inspector's
// suppressRemovalOfDeprecatedField rule).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CriticalityLevel, diff, DiffRule } from '@graphql-inspector/core';
import { buildSchema, GraphQLError, type GraphQLSchema } from 'graphql';

const SCHEMA_FILE = 'schema.graphql';

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

/** The schema to compare with and where it came from, or null (with the reason) when there is none. */
function baseline(argv: string[]): { sdl: string; source: string } | { missing: string } {
  const at = argv.indexOf('--against');
  if (at >= 0) {
    const file = argv[at + 1];
    if (!file) throw new Error('--against needs a file');
    return { sdl: readFileSync(file, 'utf8'), source: file };
  }
  const ref = ['origin/main', 'main'].find((name) => git(['rev-parse', '--verify', '--quiet', `${name}^{commit}`]) !== null);
  if (!ref) return { missing: 'no main branch to compare with (not a git checkout, or no main)' };
  const sdl = git(['show', `${ref}:${SCHEMA_FILE}`]);
  if (sdl === null) return { missing: `${ref} has no ${SCHEMA_FILE}` };
  return { sdl, source: `${ref}:${SCHEMA_FILE}` };
}

/** The schema of `sdl`; a syntax or schema error names the file (and line) it came from. */
function parse(source: string, sdl: string): GraphQLSchema {
  try {
    return buildSchema(sdl);
  } catch (error) {
    const at = error instanceof GraphQLError && error.locations?.[0] ? `:${error.locations[0].line}` : '';
    throw new Error(`${source}${at}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function main(): Promise<number> {
  const base = baseline(process.argv.slice(2));
  if ('missing' in base) {
    console.log(`schema:check: ${base.missing}; nothing to check.`);
    return 0;
  }
  const changes = await diff(parse(base.source, base.sdl), parse(SCHEMA_FILE, readFileSync(SCHEMA_FILE, 'utf8')), [
    DiffRule.suppressRemovalOfDeprecatedField,
  ]);
  const breaking = changes.filter((change) => change.criticality.level === CriticalityLevel.Breaking);
  if (breaking.length > 0) {
    console.error(`schema:check: ${breaking.length} breaking change(s) against ${base.source}:`);
    for (const change of breaking) console.error(`  ${change.path ?? '(schema)'}: ${change.message}`);
    console.error('Deprecate first (@deprecated), remove in a later release.');
    return 1;
  }
  const dangerous = changes.filter((change) => change.criticality.level === CriticalityLevel.Dangerous).length;
  console.log(`schema:check: no breaking changes against ${base.source} (${changes.length} change(s), ${dangerous} dangerous).`);
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  // An unreadable or invalid schema is a failed check with one line, not a stack.
  console.error(`schema:check: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
