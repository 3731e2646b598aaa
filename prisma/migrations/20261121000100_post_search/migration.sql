-- Full-text search over posts' title and body (Prisma cannot express an
-- expression index, so this one is hand-written; tests/migrations.test.ts
-- knows it is intentional). Queries must use the same expression to hit it.
CREATE INDEX "Post_search_idx" ON "Post" USING GIN (to_tsvector('english', "title" || ' ' || "body"));
