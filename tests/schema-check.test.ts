import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// `npm run schema:check` run as CI runs it: the script in a child process,
// comparing ./schema.graphql with an older schema (`--against <file>`).

const TSX = path.resolve('node_modules/.bin/tsx');
const SCRIPT = path.resolve('scripts/schema-check.ts');
const dirs: string[] = [];

const OLD = `
type Query {
  "A greeting."
  hello: String!
  "Going away."
  legacy: String @deprecated(reason: "Use hello.")
  "Still used."
  count: Int!
}
`;

/** Runs the check in a fresh folder whose schema.graphql is `current`, against `old`. */
function check(old: string, current: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'schema-check-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'old.graphql'), old);
  writeFileSync(path.join(dir, 'schema.graphql'), current);
  return new Promise((resolve) => {
    execFile(TSX, [SCRIPT, '--against', 'old.graphql'], { cwd: dir }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('schema:check', () => {
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('fails on a removed field, naming its path', async () => {
    const result = await check(OLD, OLD.replace('  "Still used."\n  count: Int!\n', ''));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('1 breaking change(s) against old.graphql');
    expect(result.stderr).toContain('Query.count');
  });

  it('fails on a changed field type', async () => {
    const result = await check(OLD, OLD.replace('count: Int!', 'count: String!'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Query.count');
  });

  it('fails on a schema that does not parse with one line naming the file and line, no stack', async () => {
    // A field removed without its description leaves the description dangling.
    const result = await check(OLD, OLD.replace('  count: Int!\n', ''));
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^schema:check: schema\.graphql:\d+: Syntax Error/)]);
  });

  it('passes an added field with a one-line summary', async () => {
    const result = await check(OLD, OLD.replace('  "Still used."', '  "New."\n  added: Int\n  "Still used."'));
    expect(result.code).toBe(0);
    // The field and its description: two changes, one line.
    expect(result.stdout).toBe('schema:check: no breaking changes against old.graphql (2 change(s), 0 dangerous).\n');
  });

  it('passes the removal of a field that was deprecated in the old schema', async () => {
    const result = await check(OLD, OLD.replace('  "Going away."\n  legacy: String @deprecated(reason: "Use hello.")\n', ''));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('no breaking changes');
  });
});
