// A running API for contract fuzzing (schemathesis, by hand; not part of CI): the test harness
// (real Temporal dev server, the real workflow, stand-in providers) on a fixed port, with one
// started onboarding. Prints one JSON line {url, opsKey, onboardingId, accessToken}; SIGINT or
// SIGTERM stops everything.
//
//   PORT=4555 node_modules/.bin/tsx test/api/fuzz-server.ts
import { writeFileSync } from 'node:fs';
import { type Server } from 'node:http';
import { createApp } from '../../src/api/app';
import { OPS_API_KEY, createHarness } from './harness';

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 4555);
  const h = await createHarness();
  await h.startWorker();
  const app = createApp(h.deps({ api: { START_RATE_LIMIT_PER_MINUTE: Number(process.env.START_RATE_LIMIT ?? 100_000) } }));
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${port}`;
  const res = await fetch(`${url}/onboardings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'fuzz@example.com', phoneNumber: '+359888123456', userType: 'INDIVIDUAL' }),
  });
  const started = (await res.json()) as { onboardingId: string; accessToken: string };
  const info = { url, opsKey: OPS_API_KEY, onboardingId: started.onboardingId, accessToken: started.accessToken };
  if (process.env.INFO_FILE) writeFileSync(process.env.INFO_FILE, JSON.stringify(info));
  process.stdout.write(`${JSON.stringify(info)}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await h.teardown();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
