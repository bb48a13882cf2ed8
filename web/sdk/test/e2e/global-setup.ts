// Builds the engine binary, creates a tenant in a temp SQLite database, starts `orqestra serve`
// on a free port behind a small TCP proxy (so tests can cut the browser's WebSocket for real),
// and hands the addresses to the tests through vitest's provide/inject.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

export interface E2EEnv {
  dir: string;
  engineURL: string;
  proxyPort: number;
  hostPort: number;
  tenantId: string;
  apiKey: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2e: E2EEnv;
  }
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => res(port));
    });
  });
}

async function waitFor(url: string, proc: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`engine exited (${proc.exitCode}); log:\n${readFileSync(log, 'utf8').slice(-3000)}`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (r.status < 500) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`engine did not answer ${url} within 30 s; log:\n${readFileSync(log, 'utf8').slice(-3000)}`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'orqestra-e2e-'));
  const bin = process.env.ORQESTRA_BIN || join(dir, 'orqestra');
  if (!process.env.ORQESTRA_BIN) {
    execFileSync('go', ['build', '-o', bin, './cmd/orqestra'], { cwd: repoRoot, stdio: 'inherit' });
  }
  const env = {
    ...process.env,
    ORQESTRA_DATABASE_URL: `sqlite:${join(dir, 'e2e.db')}`,
  };
  const out = execFileSync(bin, ['tenant', 'create', '--name', 'E2E', '--json'], { env, encoding: 'utf8' });
  const tenant = JSON.parse(out) as { id: string; apiKey: string };

  const enginePort = await freePort();
  const proxyPort = await freePort();
  const hostPort = await freePort();
  const log = join(dir, 'engine.log');
  const logStream = createWriteStream(log);
  const engine = spawn(bin, ['serve'], {
    env: {
      ...env,
      ORQESTRA_ADDR: `127.0.0.1:${enginePort}`,
      ORQESTRA_CORS_ORIGINS: `http://127.0.0.1:${hostPort}`,
      // Small on purpose: a test overflows it to force the "could not recover" path.
      ORQESTRA_REALTIME_HISTORY_SIZE: '3',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  engine.stdout!.pipe(logStream);
  engine.stderr!.pipe(logStream);
  const engineURL = `http://127.0.0.1:${enginePort}`;
  await waitFor(`${engineURL}/healthz`, engine, log);
  // The page loads the bundle cross-origin as a module script, which needs CORS on it.
  const js = await fetch(`${engineURL}/sdk/orqestra.js`, { headers: { Origin: `http://127.0.0.1:${hostPort}` } });
  if (js.status !== 200 || !/javascript/.test(js.headers.get('content-type') ?? '') || !js.headers.get('access-control-allow-origin')) {
    engine.kill('SIGKILL');
    throw new Error(
      `engine must serve web/sdk's Bundle at GET /sdk/orqestra.js as text/javascript with Access-Control-Allow-Origin; ` +
        `got ${js.status}, content-type ${js.headers.get('content-type')}, ACAO ${js.headers.get('access-control-allow-origin')}`,
    );
  }

  project.provide('e2e', { dir, engineURL, proxyPort, hostPort, tenantId: tenant.id, apiKey: tenant.apiKey });
  console.log(`e2e: engine ${engineURL}, work dir ${dir} (engine.log, screenshots/)`);

  return async () => {
    engine.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    if (engine.exitCode === null) engine.kill('SIGKILL');
  };
}
