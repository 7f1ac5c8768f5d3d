// CI guard: the PostgreSQL suite must run, so an unreachable server fails the build loudly.
import pg from 'pg';

const url = process.env.TEST_DATABASE_URL;
if (!url) {
  console.error('TEST_DATABASE_URL is not set');
  process.exit(1);
}
const deadline = Date.now() + 20_000;
for (;;) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    const { rows } = await client.query('SHOW server_version');
    console.log(`PostgreSQL ${rows[0].server_version} reachable for the PostgreSQL suite`);
    await client.end();
    process.exit(0);
  } catch (error) {
    await client.end().catch(() => {});
    if (Date.now() > deadline) {
      console.error(`cannot reach PostgreSQL at TEST_DATABASE_URL: ${error.message}`);
      process.exit(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
