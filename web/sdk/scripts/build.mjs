// Builds dist/orqestra.js (one self-contained ESM file) and dist/types (declarations).
// Deterministic on purpose: no timestamps, no absolute paths, fixed esbuild options, so the
// committed bundle that the engine embeds can be checked byte for byte in CI.
//
//   node scripts/build.mjs            write dist/
//   node scripts/build.mjs --check    build into a temp dir and fail if dist/ differs
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, mkdirSync, cpSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const check = process.argv.includes('--check');
const out = check ? mkdtempSync(join(tmpdir(), 'orqestra-sdk-')) : join(root, 'dist');

async function buildInto(dir) {
  mkdirSync(dir, { recursive: true });
  await build({
    absWorkingDir: root,
    entryPoints: ['src/index.ts'],
    outfile: join(dir, 'orqestra.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    sourcemap: false,
    charset: 'utf8',
    legalComments: 'eof',
    banner: { js: `/*! ${pkg.name} ${pkg.version} | MIT | bundles centrifuge-js (MIT) */` },
    logLevel: 'warning',
  });
  rmSync(join(dir, 'types'), { recursive: true, force: true });
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json'), '--emitDeclarationOnly', '--outDir', join(dir, 'types')], { stdio: 'inherit' });
}

function files(dir) {
  const outl = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else outl.push(relative(dir, p));
    }
  };
  if (existsSync(dir)) walk(dir);
  return outl;
}

await buildInto(out);
if (check) {
  const committed = join(root, 'dist');
  const want = files(out);
  const have = files(committed);
  const problems = [];
  for (const f of new Set([...want, ...have])) {
    if (!want.includes(f)) problems.push(`extra file dist/${f}`);
    else if (!have.includes(f)) problems.push(`missing dist/${f}`);
    else if (!readFileSync(join(out, f)).equals(readFileSync(join(committed, f)))) problems.push(`dist/${f} differs`);
  }
  rmSync(out, { recursive: true, force: true });
  if (problems.length) {
    console.error('check-bundle: committed bundle is stale; run `npm run build` and commit dist/:\n  ' + problems.join('\n  '));
    process.exit(1);
  }
  console.log(`check-bundle: dist/ matches the sources (${want.length} files)`);
} else {
  const size = statSync(join(out, 'orqestra.js')).size;
  console.log(`built dist/orqestra.js (${size} bytes) and dist/types`);
}
