// Seeds demo data into DATABASE_URL (`npm run db:seed`), after migrating it.
import { migrate } from '../src/db/migrate.ts';
import { createDatabase } from '../src/db/prisma.ts';
import { DEMO_LOGIN, seedDemoData } from '../src/db/seed.ts';
import { createLogger } from '../src/lib/logger.ts';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is required (the embedded database is seeded by `npm start` on first start)');
  process.exit(1);
}
const logger = createLogger('info');
await migrate(url, logger);
const database = createDatabase(url, 2, logger);
try {
  if ((await database.prisma.user.count({ where: { username: DEMO_LOGIN.username } })) > 0) {
    console.log('Demo data is already there.');
  } else {
    await seedDemoData(database.prisma, logger);
    console.log(`Seeded. Demo login: username "${DEMO_LOGIN.username}", password "${DEMO_LOGIN.password}"`);
  }
} finally {
  await database.close();
}
