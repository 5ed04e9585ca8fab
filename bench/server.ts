/**
 * Benchmark 4: icqd (the real program, accounts in memory) against 500 simulated clients,
 * each a LoginSession (the client code icqsend and icqrecv use) that logs in at once and
 * watches all the others. Measures logins a second and the time until every client has
 * seen every other one online (presence fan-out: 500 × 499 USER_ONLINE packets, each
 * ACKed). A client answered BUSY (icqd bounds password checks in progress) tries again
 * after a short pause, as a real client would.
 * Target: all 500 logged in and seeing each other in under 5 s.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, IcqError } from '../src/errors.js';
import { LoginSession } from '../src/login/index.js';
import { startIcqd } from '../scripts/processes.js';
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
}

export async function serverBenchmark(ctx: BenchContext): Promise<BenchResult> {
  say(`== server: ${SERVER_CLIENTS} clients log in at once to icqd and watch each other, ${ctx.runs} runs (medians)`);
  const rounds: Round[] = [];
  for (let i = 0; i < ctx.runs; i++) rounds.push(await oneRound());
  const login = median(rounds.map((r) => r.loginSeconds));
  const fanOut = median(rounds.map((r) => r.fanOutSeconds));
  const pass = fanOut < SERVER_TARGET_SECONDS;
  const packets = SERVER_CLIENTS * (SERVER_CLIENTS - 1);
  say(`  all logged in after     ${login.toFixed(2)} s: ${(SERVER_CLIENTS / login).toFixed(0)} logins/s (runs: ${list(rounds.map((r) => r.loginSeconds))}; BUSY answers: ${rounds.map((r) => r.busy).join(' ')})`);
  say(`  all see each other after ${fanOut.toFixed(2)} s: ${(packets / fanOut).toFixed(0)} USER_ONLINE/s delivered and ACKed (runs: ${list(rounds.map((r) => r.fanOutSeconds))})`);
  say(`  ${fanOut.toFixed(2)} s against the target of < ${SERVER_TARGET_SECONDS} s: ratio ${(fanOut / SERVER_TARGET_SECONDS).toFixed(2)}   ${verdict(pass)}`);
  return {
    name: 'server',
    pass,
    summary: `${SERVER_CLIENTS} clients: ${(SERVER_CLIENTS / login).toFixed(0)} logins/s, all seeing each other after ${fanOut.toFixed(2)} s (< ${SERVER_TARGET_SECONDS} s)`,
  };
}

async function oneRound(): Promise<Round> {
  const { program, port } = await startIcqd(['--no-db', '--auto-register', '--quiet']);
  const server = { host: '127.0.0.1', port };
  const uins = Array.from({ length: SERVER_CLIENTS }, (_, i) => FIRST_UIN + i);
  const sessions = new Set<LoginSession>();
  let busy = 0;
  try {
    const t0 = performance.now();
    let loggedIn = 0;
    let loginSeconds = 0;
    let complete = 0;
    let allSeen!: () => void;
    const everyoneSeen = new Promise<void>((resolve) => (allSeen = resolve));

    const client = async (uin: number): Promise<void> => {
      const others = uins.filter((u) => u !== uin);
      for (;;) {
        const session = new LoginSession({ server, uin, password: 'bench', tcpPort: 4000 + (uin % 1000), contacts: others });
        sessions.add(session);
        const seen = new Set<number>();
        session.on('online', (p) => {
          if (seen.has(p.uin)) return;
          seen.add(p.uin);
          if (seen.size === others.length && ++complete === SERVER_CLIENTS) allSeen();
        });
        try {
          await session.login();
        } catch (err) {
          sessions.delete(session);
          session.close();
          if (err instanceof IcqError && err.code === ErrorCode.SERVER_BUSY) {
            busy++;
            await sleep(50 + Math.random() * 100);
            continue;
          }
          throw err;
        }
        if (++loggedIn === SERVER_CLIENTS) loginSeconds = (performance.now() - t0) / 1000;
        return;
      }
    };
    await withTimeout(Promise.all([Promise.all(uins.map(client)), everyoneSeen]), ROUND_TIMEOUT_MS, `${SERVER_CLIENTS} clients seeing each other`);
    return { loginSeconds, fanOutSeconds: (performance.now() - t0) / 1000, busy };
  } finally {
    for (const s of sessions) s.close();
    await program.stop();
  }
}
