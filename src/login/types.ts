/**
 * What the rest of icqxfer needs from a login. LoginSession (src/login/session.ts)
 * implements it; the transfer engine depends only on this interface, so tests can stand in
 * a fake and peer-to-peer mode needs none.
 */

import type { IcqError } from '../errors.js';
import type { UserOnlineFields } from '../wire/udp.js';

/**
 * A contact's presence: the fields of 0x006E USER_ONLINE as the codec decodes them (IP as
 * the server saw it, the LOGIN's message port, LAN IP, TCP flag 0x04 = reachable directly,
 * status, TCP version).
 */
export type PeerPresence = UserOnlineFields;

/** A reverse-connect request that reached us (relayed 0x015E, docs/protocol.md §2.4, §4). */
export interface ReverseConnectRequest {
  /** Who asks us to connect. */
  requesterUin: number;
  /** Where to connect: the requester's IP (filled in by the server when it sent 0). */
  ip: string;
  /** The requester's listener we must connect to (MY_PORT). */
  port: number;
  tcpFlag: number;
  /** Our port that the requester failed to reach (message port or a file port). */
  otherPort: number;
  tcpVersion: number;
}

/** What we send in a 0x015E. */
export interface ReverseConnectParams {
  targetUin: number;
  /** Our IP; '0.0.0.0' lets the server fill in the address it sees. */
  ip: string;
  /** The listener the target must connect to. */
  port: number;
  /** The target's port we could not reach. */
  otherPort: number;
}

export interface IncomingMessage {
  from: number;
  type: number;
  text: string;
  /** Set for stored (offline) messages: when the server received them. */
  time?: Date;
}

export interface LoginResult {
  uin: number;
  /** The address the server saw us at. */
  ip: string;
}

/**
 * The events a login session emits, each with its listener's arguments:
 * - 'online' / 'offline' / 'status': a contact's presence;
 * - 'reverse-connect', 'message': what the server relays;
 * - 'relogging' (IcqError SERVER_GONE): the session was lost for a while (0x00F0 from a
 *   restarted server, or a silent one); LOGIN attempts repeat until one succeeds or close();
 * - 'relogin': logged in again after 'relogging';
 * - 'lost' (IcqError LOGGED_OFF or WRONG_PASSWORD): lost for good (the UIN logged in
 *   elsewhere, or logging in again was refused); nothing more is tried, and everything still
 *   waiting, and every later call that needs the server, is rejected with this error;
 * - 'server-gone' (IcqError): the older, coarser signal: retransmits exhausted or lost for good.
 */
export interface LoginEvents {
  online: [presence: PeerPresence];
  offline: [peer: { uin: number }];
  status: [change: { uin: number; status: number }];
  'reverse-connect': [request: ReverseConnectRequest];
  message: [message: IncomingMessage];
  relogging: [reason: IcqError];
  relogin: [];
  lost: [err: IcqError];
  'server-gone': [err: Error];
}

export type LoginEventListener<K extends keyof LoginEvents> = (...args: LoginEvents[K]) => void;

export interface Presence {
  readonly uin: number;
  /** Our address as the server saw it, once logged in. */
  readonly observedIp: string | undefined;
  /** Watch these UINs (0x0406; also 0x053C for one added later). */
  addContacts(uins: number[]): void;
  /** The last presence seen for uin, if online. */
  getPresence(uin: number): PeerPresence | undefined;
  /**
   * Resolves with the presence once uin is online (at once if it already is). Rejects with
   * IcqError PEER_OFFLINE after timeoutMs (the contact is added if it was not watched).
   */
  waitForOnline(uin: number, timeoutMs: number): Promise<PeerPresence>;
  /**
   * Ask the server whether uin is online now: resolves with the presence, or undefined when
   * the server's contact-list answer (0x021C) came without it.
   */
  queryPresence(uin: number, timeoutMs: number): Promise<PeerPresence | undefined>;
  /** Send 0x015E through the server; resolves when the server ACKed it. */
  sendReverseConnect(params: ReverseConnectParams): Promise<void>;
  on<K extends keyof LoginEvents>(event: K, listener: LoginEventListener<K>): this;
  off(event: string, listener: (...args: any[]) => void): this;
}
