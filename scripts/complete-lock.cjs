// Usage: node scripts/complete-lock.cjs package-lock.json (after any npm install that rewrote the lock).
// The registry mirror here serves only Linux builds of Biome, so npm leaves the other platforms'
// optional packages out of the lock and `npm ci` then refuses it. Add them back as optional,
// platform-tagged entries (npm skips them on Linux without fetching).
const fs = require('node:fs');
const stringify = require('json-stringify-nice');
const file = process.argv[2];
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const biome = lock.packages['node_modules/@biomejs/biome'];
const plat = {
  'android-arm64': { os: ['android'], cpu: ['arm64'] },
  'android-x64': { os: ['android'], cpu: ['x64'] },
  'darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  'darwin-x64': { os: ['darwin'], cpu: ['x64'] },
  'linux-arm64-musl': { os: ['linux'], cpu: ['arm64'], libc: ['musl'] },
  'linux-x64-musl': { os: ['linux'], cpu: ['x64'], libc: ['musl'] },
  'win32-arm64': { os: ['win32'], cpu: ['arm64'] },
  'win32-x64': { os: ['win32'], cpu: ['x64'] },
};
for (const [name, version] of Object.entries(biome.optionalDependencies)) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const p = plat[name.replace('@biomejs/cli-', '')];
  lock.packages[key] = {
    version,
    dev: true,
    license: 'MIT OR Apache-2.0',
    optional: true,
    ...p,
    engines: { node: '>=14.21.3' },
  };
}
// Written the way npm writes it (npm's own serializer and top-level key order), so an `npm install`
// after this script leaves the file byte for byte as it is: a fresh clone stays clean.
fs.writeFileSync(
  file,
  stringify(
    lock,
    ['name', 'version', 'lockfileVersion', 'resolved', 'integrity', 'requires', 'packages', 'dependencies'],
    2,
  ),
);
