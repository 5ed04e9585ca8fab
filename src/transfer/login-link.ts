import type { LoginSession } from '../login/session.js';
import { DEFAULT_TIMEOUTS, type CommonOptions } from './options.js';

/**
 * Log in for a transfer command: the message listener's port goes in the LOGIN (or the
 * advertised one, in tests), and the login timeout follows --connect-timeout. The login
 * module is loaded only then: peer-to-peer runs never need it (~1 MiB of RSS).
 */
export async function openLogin(options: CommonOptions, tcpPort: number, contacts: number[] = []): Promise<LoginSession | undefined> {
  const login = options.login;
  if (login === undefined) return undefined;
  const { LoginSession } = await import('../login/session.js');
  const session = new LoginSession({
    server: login.server,
    uin: options.uin ?? 0,
    password: login.password,
    tcpPort,
    contacts,
    ...(login.retransmitMs !== undefined ? { retransmitMs: login.retransmitMs } : {}),
    ...(login.retries !== undefined ? { retries: login.retries } : {}),
    ...(login.keepAliveMs !== undefined ? { keepAliveMs: login.keepAliveMs } : {}),
    loginTimeoutMs: options.connectTimeoutMs ?? DEFAULT_TIMEOUTS.connectTimeoutMs,
  });
  // 'server-gone' is reported by the session and followed by its own re-login; the
  // transfers in flight are peer to peer and go on.
  session.on('server-gone', () => {});
  try {
    await session.login();
  } catch (err) {
    session.close();
    throw err;
  }
  return session;
}
