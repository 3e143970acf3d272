/**
 * Bundled size of `@promptline/sdk`: its entry bundled by esbuild for the browser/edge (ESM,
 * minified, tree-shaken, `node:*` left external — the disk copy is a dynamic import only used with
 * `cachePath`), then gzipped. Also splits the minified bytes by where they come from.
 *
 * Run: npm exec -- node --conditions=source bench/sdk-size.bench.ts
 * Needs: npm install --prefix bench/.scratch esbuild
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const esbuildPath = fileURLToPath(new URL('./.scratch/node_modules/esbuild/lib/main.js', import.meta.url));
if (!existsSync(esbuildPath)) {
  process.stdout.write(
    `${JSON.stringify({ error: 'esbuild not installed: npm install --prefix bench/.scratch esbuild' })}\n`,
  );
  process.exit(0);
}

interface Metafile {
  outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
}
const esbuild = (await import(esbuildPath)) as {
  build(options: Record<string, unknown>): Promise<{ outputFiles: { text: string }[]; metafile: Metafile }>;
};

const corePackage = JSON.parse(
  readFileSync(fileURLToPath(new URL('../packages/core/package.json', import.meta.url)), 'utf8'),
) as { sideEffects?: unknown };

/**
 * Marks every module of @promptline/core side-effect free, as `"sideEffects": false` in its
 * package.json would: then a bundler drops core modules the SDK does not use — zod with the schemas.
 */
const coreSideEffectFree = {
  name: 'core-side-effect-free',
  setup(build: {
    onResolve(
      options: { filter: RegExp },
      callback: (args: {
        path: string;
        importer: string;
      }) => { path: string; sideEffects: boolean } | undefined,
    ): void;
  }) {
    const coreSrc = fileURLToPath(new URL('../packages/core/src/', import.meta.url));
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.path === '@promptline/core') return { path: `${coreSrc}index.ts`, sideEffects: false };
      if (args.importer.startsWith(coreSrc) && args.path.startsWith('.')) {
        return { path: resolve(dirname(args.importer), args.path), sideEffects: false };
      }
      return undefined;
    });
  },
};

async function bundle(plugins: unknown[]) {
  return esbuild.build({
    plugins,
    entryPoints: [fileURLToPath(new URL('../packages/sdk/src/index.ts', import.meta.url))],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['source'],
    external: ['node:*'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
}

const result = await bundle([]);
const trimmed = await bundle([coreSideEffectFree]);
const trimmedCode = trimmed.outputFiles.map((f) => f.text).join('');

const code = result.outputFiles.map((f) => f.text).join('');
const byOrigin: Record<string, number> = {};
for (const output of Object.values(result.metafile.outputs)) {
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const origin = input.includes('node_modules/')
      ? (input
          .split('node_modules/')
          .at(-1)
          ?.split('/')
          .slice(0, input.includes('node_modules/@') ? 2 : 1)
          .join('/') ?? input)
      : input.includes('packages/sdk/')
        ? '@promptline/sdk'
        : input.includes('packages/core/')
          ? '@promptline/core'
          : input;
    byOrigin[origin] = (byOrigin[origin] ?? 0) + bytesInOutput;
  }
}

process.stdout.write(
  `${JSON.stringify({
    minified_bytes: Buffer.byteLength(code),
    gzip_bytes: gzipSync(code, { level: 9 }).length,
    minified_bytes_by_origin: Object.fromEntries(Object.entries(byOrigin).sort((a, b) => b[1] - a[1])),
    core_declares_side_effects_free: corePackage.sideEffects === false,
    // What the same bundle weighs once core's package.json says "sideEffects": false.
    if_core_side_effect_free: {
      minified_bytes: Buffer.byteLength(trimmedCode),
      gzip_bytes: gzipSync(trimmedCode, { level: 9 }).length,
    },
  })}\n`,
);
