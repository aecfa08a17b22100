// Dependency audit for CI: `npm audit --omit=dev --audit-level=high`, failing the run on a high or
// critical advisory in what ships. Some registries (mirrors, this build machine's) have no audit
// endpoint; npm then fails with "audit endpoint returned an error" and reports nothing. Rather
// than pass silently or fail for a reason that is not a finding, the installed production tree is
// then checked against .ci/advisory-floors.json (the fixed versions of the high advisories known
// to affect our production dependencies), and the run says which check it made.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const audit = spawnSync('npm', ['audit', '--omit=dev', '--audit-level=high'], { encoding: 'utf8' });
const output = `${audit.stdout}\n${audit.stderr}`;
const noEndpoint = /audit endpoint returned an error|ENOAUDIT|405 Method Not Allowed/i.test(output);
if (!noEndpoint) {
  process.stdout.write(audit.stdout);
  process.stderr.write(audit.stderr);
  process.exit(audit.status ?? 1);
}

console.log('npm audit: the registry has no audit endpoint; checking .ci/advisory-floors.json instead');
const floors = JSON.parse(readFileSync(new URL('./advisory-floors.json', import.meta.url), 'utf8')).floors;
const tree = JSON.parse(execFileSync('npm', ['ls', '--omit=dev', '--all', '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 }));

const installed = new Map();
(function walk(deps) {
  for (const [name, node] of Object.entries(deps ?? {})) {
    if (!node.version) continue;
    if (!installed.has(name)) installed.set(name, new Set());
    installed.get(name).add(node.version);
    walk(node.dependencies);
  }
})(tree.dependencies);

const parse = (v) => v.split(/[.+-]/).slice(0, 3).map(Number);
const below = (v, floor) => {
  const [a, b] = [parse(v), parse(floor)];
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
};

const findings = [];
for (const { package: name, fixedIn, advisories } of floors) {
  for (const version of installed.get(name) ?? []) {
    if (below(version, fixedIn)) findings.push(`${name}@${version} < ${fixedIn} (${advisories.join(', ')})`);
  }
}
if (findings.length > 0) {
  console.error(`High advisories in production dependencies:\n  ${findings.join('\n  ')}`);
  process.exit(1);
}
console.log(`no production dependency below a known fixed version (${floors.length} advisories checked, ${installed.size} packages)`);
