/**
 * Top self-time functions of a V8 .cpuprofile (node --cpu-prof), then the top functions by
 * total time (self and callees; the time of asynchronous continuations counts where they
 * resume, not where they were awaited):
 *   node dist/bench/profile-top.js FILE.cpuprofile [N]
 * Used to read the profiles `npm run bench -- throughput --cpu-prof DIR` writes.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, n = '25'] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write('usage: profile-top FILE.cpuprofile [N]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

function keyOf(node: ProfileNode): string {
  const f = node.callFrame;
  const where = f.url === '' ? '' : ` ${f.url.replace(/^.*\/(dist|node_modules)\//, '$1/').replace(/^node:/, '')}:${f.lineNumber + 1}`;
  return `${f.functionName || '(anonymous)'}${where}`;
}

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  const key = keyOf(byId.get(id)!);
  self.set(key, (self.get(key) ?? 0) + dt);
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const k = keyOf(byId.get(at)!);
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
  }
  total += dt;
});

function print(title: string, table: Map<string, number>): void {
  process.stdout.write(`${title}\n`);
  for (const [key, us] of [...table].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) {
    process.stdout.write(`${(us / 1000).toFixed(1).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${key}\n`);
  }
}

process.stdout.write(`${file}: ${(total / 1000).toFixed(0)} ms sampled\n`);
print('self time:', self);
if (process.env.PROFILE_TOTAL === '1') print('total time (self and callees):', inclusive);
