import type { IcqError } from '../errors.js';
import type { LoginSession } from '../login/session.js';
import { DEFAULT_TIMEOUTS, type CommonOptions } from './options.js';

/**
 * Log in for a transfer command: the message listener's port goes in the LOGIN (or the
 * advertised one, in tests), and the login timeout follows --connect-timeout. The login
 * module is loaded only then: peer-to-peer runs never need it (~1 MiB of RSS).
 *
 * A session lost for a while and back again is reported as `session` events; one lost for
 * good goes to onLost (a receiver ends on it; a sender's waiting calls are rejected with the
 * same error by the session, while its peer-to-peer transfers go on).
 */
export async function openLogin(
  options: CommonOptions,
  tcpPort: number,
  onLost: (err: IcqError) => void = () => {},
): Promise<LoginSession | undefined> {
  const login = options.login;
  if (login === undefined) return undefined;
  const { LoginSession } = await import('../login/session.js');
  const session = new LoginSession({
    server: login.server,
    uin: options.uin ?? 0,
    password: login.password,
    tcpPort,
    ...(login.retransmitMs !== undefined ? { retransmitMs: login.retransmitMs } : {}),
    ...(login.retries !== undefined ? { retries: login.retries } : {}),
    ...(login.keepAliveMs !== undefined ? { keepAliveMs: login.keepAliveMs } : {}),
    ...(login.probeMs !== undefined ? { probeMs: login.probeMs } : {}),
    loginTimeoutMs: options.connectTimeoutMs ?? DEFAULT_TIMEOUTS.connectTimeoutMs,
  });
  const where = `${login.server.host}:${login.server.port}`;
  const report = options.onEvent ?? (() => {});
  session.on('relogging', (reason) => {
    report({ event: 'session', state: 'relogging', message: `lost the session with ${where} (${reason.message}); logging in again` });
  });
  session.on('relogin', () => {
    report({ event: 'session', state: 'online', message: `logged in again as ${session.uin} via ${where}` });
  });
  session.on('lost', onLost);
  try {
    await session.login();
  } catch (err) {
    session.close();
    throw err;
  }
  return session;
}
