// Loads Prisma's schema engine compiled to WebAssembly, so migration SQL can be
// produced without the native engine the Prisma CLI would download.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';

const require = createRequire(import.meta.url);

interface WasmApi {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: Record<string, unknown> } }>;
}

export interface SchemaFile {
  path: string;
  content: string;
}

// The JS bindings are an ES module (cached by the loader), bound to one wasm
// instance: instantiate once per process, or a second diff hangs.
let engineBindings: Promise<any> | undefined;
function loadBindings(): Promise<any> {
  engineBindings ??= (async () => {
    const pkgDir = path.join(path.dirname(require.resolve('@prisma/adapter-pg')), '..', '..', 'schema-engine-wasm');
    const bindings = await import(path.join(pkgDir, 'schema_engine_bg.js'));
    const wasmBytes = await readFile(path.join(pkgDir, 'schema_engine_bg.wasm'));
    // WebAssembly is a Node global that this project's type libs leave out.
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const { instance } = await wasm.instantiate(wasmBytes, {
      './schema_engine_bg.js': bindings,
    });
    bindings.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start: () => void }).__wbindgen_start();
    return bindings;
  })();
  return engineBindings;
}

/** `connectionString`: any reachable PostgreSQL; the engine connects at start but a
 * schema-to-schema diff reads and writes nothing there. */
export async function diffSchemas(from: SchemaFile | null, to: SchemaFile, connectionString: string): Promise<string> {
  const bindings = await loadBindings();
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg({ connectionString }));
  const engine = await bindings.SchemaEngine.new({ datamodels: [[to.path, to.content]] }, () => {}, adapter);
  const result = await engine.diff({
    from: from ? { tag: 'schemaDatamodel', files: [from] } : { tag: 'empty' },
    to: { tag: 'schemaDatamodel', files: [to] },
    script: true,
    exitCode: null,
    filters: { externalTables: [], externalEnums: [] },
  });
  return result.stdout ?? '';
}
