import { defineConfig } from 'prisma/config';

// Used by the Prisma CLI where it has its engines (`prisma generate` here;
// `prisma migrate deploy|status` on machines with internet access).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/agora' },
});
