// PostGraphile v5 (Amber preset) over the same database and pool size. Needs
// Node 22+, so the bench runs it with its own Node binary. Plain JS on purpose.
import { createServer } from 'node:http';
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

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  const { port } = server.address();
  process.on('message', (message) => {
    if (message.type === 'stats') {
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
