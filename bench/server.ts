/**
 * Benchmark 4: icqd (the real program, accounts in memory) against 500 simulated clients
 * (udp-client.ts), each logging in at once and watching all the others. Measures logins a
 * second and the time until every client has seen every other one online (presence
 * fan-out: 500 × 499 USER_ONLINE packets, each ACKed), and the CPU time icqd used. A client
 * answered BUSY (icqd bounds password checks in progress) tries again after a short pause,
 * as a real client would. The clients run in this process, on the same two cores as icqd.
 * Target: all 500 logged in and seeing each other in under 5 s.
 */
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { startIcqd } from '../scripts/processes.js';
import { SimulatedClient } from './udp-client.js';
import { type BenchContext, type BenchResult, list, median, say, verdict, withTimeout } from './common.js';

export const SERVER_CLIENTS = 500;
export const SERVER_TARGET_SECONDS = 5;
const FIRST_UIN = 200_001;
/** One round may take this long before it counts as failed. */
const ROUND_TIMEOUT_MS = 60_000;

interface Round {
  /** Until every client's login() resolved. */
  loginSeconds: number;
  /** Until every client had seen all the others online. */
  fanOutSeconds: number;
  busy: number;
  /** CPU seconds icqd used in the round. */
  icqdCpu: number;
}

export async function serverBenchmark(ctx: BenchContext, options: { profileDir?: string } = {}): Promise<BenchResult> {
  say(`== server: ${SERVER_CLIENTS} clients log in at once to icqd and watch each other, ${ctx.runs} runs (medians)`);
  const rounds: Round[] = [];
  for (let i = 0; i < ctx.runs; i++) rounds.push(await oneRound(options.profileDir));
  const login = median(rounds.map((r) => r.loginSeconds));
  const fanOut = median(rounds.map((r) => r.fanOutSeconds));
  const pass = fanOut < SERVER_TARGET_SECONDS;
  const packets = SERVER_CLIENTS * (SERVER_CLIENTS - 1);
  say(`  all logged in after     ${login.toFixed(2)} s: ${(SERVER_CLIENTS / login).toFixed(0)} logins/s (runs: ${list(rounds.map((r) => r.loginSeconds))}; BUSY answers: ${rounds.map((r) => r.busy).join(' ')})`);
  say(`  all see each other after ${fanOut.toFixed(2)} s: ${(packets / fanOut).toFixed(0)} USER_ONLINE/s delivered and ACKed (runs: ${list(rounds.map((r) => r.fanOutSeconds))})`);
  say(`  icqd CPU ${median(rounds.map((r) => r.icqdCpu)).toFixed(2)} s a round, start-up and password hashing included (runs: ${list(rounds.map((r) => r.icqdCpu))}); the 500 clients share the same cores`);
  say(`  ${fanOut.toFixed(2)} s against the target of < ${SERVER_TARGET_SECONDS} s: ratio ${(fanOut / SERVER_TARGET_SECONDS).toFixed(2)}   ${verdict(pass)}`);
  return {
    name: 'server',
    pass,
    summary: `${SERVER_CLIENTS} clients: ${(SERVER_CLIENTS / login).toFixed(0)} logins/s, all seeing each other after ${fanOut.toFixed(2)} s (< ${SERVER_TARGET_SECONDS} s)`,
  };
}

async function oneRound(profileDir?: string): Promise<Round> {
  const nodeArgs = profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `icqd-${Date.now()}.cpuprofile`];
  const { program, port } = await startIcqd(['--no-db', '--auto-register', '--quiet'], { nodeArgs });
  const server = { host: '127.0.0.1', port };
  const uins = Array.from({ length: SERVER_CLIENTS }, (_, i) => FIRST_UIN + i);
  const clients: SimulatedClient[] = [];
  try {
    let loggedIn = 0;
    let loginSeconds = 0;
    let complete = 0;
    let allSeen!: () => void;
    const everyoneSeen = new Promise<void>((resolve) => (allSeen = resolve));
    const t0 = performance.now();
    for (const uin of uins) {
      const client = new SimulatedClient({
        server,
        uin,
        password: 'bench',
        contacts: uins.filter((u) => u !== uin),
        onLoggedIn: () => {
          if (++loggedIn === SERVER_CLIENTS) loginSeconds = (performance.now() - t0) / 1000;
        },
        onAllSeen: () => {
          if (++complete === SERVER_CLIENTS) allSeen();
        },
      });
      clients.push(client);
    }
    await Promise.all(clients.map((c) => c.start()));
    await withTimeout(everyoneSeen, ROUND_TIMEOUT_MS, `${SERVER_CLIENTS} clients seeing each other`);
    const fanOutSeconds = (performance.now() - t0) / 1000;
    return { loginSeconds, fanOutSeconds, busy: clients.reduce((n, c) => n + c.busyAnswers, 0), icqdCpu: cpuSeconds(program.child.pid) };
  } finally {
    for (const c of clients) c.close();
    await program.stop();
  }
}

/** CPU seconds (user + system) a running process has used, from /proc/PID/stat; 0 when unknown. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}
