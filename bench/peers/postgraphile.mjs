// PostGraphile v5 (Amber preset) over the same database and pool size. Needs
// Node 22+, so the bench runs it with its own Node binary. Plain JS on purpose.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Session } from 'node:inspector/promises';
import pg from 'pg';
import { postgraphile } from 'postgraphile';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';

// Statements are counted at the wire, as for the other servers (bench/servers/ipc.ts).
let statements = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (...args) {
  statements += 1;
  return query.apply(this, args);
};
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_SIZE || 10) });

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ pool, schemas: ['public'] })],
  grafast: { explain: false },
  grafserv: { graphqlPath: '/graphql', graphiql: false, watch: false },
};
const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
serv.addTo(server).catch((e) => {
  console.error(e);
  process.exit(1);
});
await pgl.getSchemaResult();

// The same CPU-profile protocol as Agora's (bench/servers/ipc.ts), so the
// bench can put the two CPU splits side by side.
let profiler = null;
async function profile(message) {
  if (message.action === 'start') {
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.setSamplingInterval', { interval: message.intervalUs });
    await profiler.post('Profiler.start');
  } else {
    const { profile: result } = await profiler.post('Profiler.stop');
    profiler.disconnect();
    profiler = null;
    writeFileSync(message.file, JSON.stringify(result));
  }
}

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  const { port } = server.address();
  process.on('message', (message) => {
    if (message.type === 'profile') {
      profile(message).then(
        () => process.send({ type: 'profiled' }),
        (error) => process.send({ type: 'profiled', error: error.message }),
      );
    } else if (message.type === 'stats') {
      if (message.gc) globalThis.gc?.();
      const m = process.memoryUsage();
      process.send({ type: 'stats', statements, rssBytes: m.rss, heapUsedBytes: m.heapUsed });
    } else if (message.type === 'stop') {
      server.close();
      Promise.resolve(pgl.release()).finally(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${port}` });
});
