export default async function globalTeardown() {
  // Stops PostgreSQL and deletes its throwaway data (src/database/embedded-postgres.ts).
  await globalThis.__EMBEDDED_PG__?.close();
}
