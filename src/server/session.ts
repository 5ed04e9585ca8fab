import { RecentSeqs } from '../login/dedup.js';
import { type LoginFields, type UserOnlineFields, encodeServerPacket } from '../wire/udp.js';
import { ReliableSender, type ReliableSenderOptions } from './reliable.js';

/** Where a datagram came from; `key` ("ip:port") identifies a client's socket. */
export interface ClientAddress {
  address: string;
  port: number;
  key: string;
}

export function clientAddress(address: string, port: number): ClientAddress {
  return { address, port, key: `${address}:${port}` };
}

export interface SessionInit {
  uin: number;
  from: ClientAddress;
  /** The LOGIN packet's header SEQ: a repeat of it is a duplicate login. */
  loginHeaderSeq: number;
  login: LoginFields;
  dedupWindow: number;
  now: number;
}

/**
 * One logged-in UIN at one client address: what the server tells others about it
 * (USER_ONLINE fields), whom it watches, its packet stream (SEQ, retransmissions) and the
 * recent client SEQs for de-duplication.
 */
export class Session {
  readonly uin: number;
  readonly from: ClientAddress;
  readonly loginHeaderSeq: number;
  /** Fields of USER_ONLINE, from the LOGIN and the observed address. */
  readonly tcpPort: number;
  readonly realIp: string;
  readonly tcpFlag: number;
  readonly tcpVersion: number;
  status: number;
  readonly contacts = new Set<number>();
  readonly sender: ReliableSender;
  lastHeard: number;
  /** Highest stored-message id sent in the last 0x00DC batch; 0x0442 deletes up to it. */
  offlineDeliveredUpTo = 0;
  /** Set once the session is replaced, logged out or expired. */
  ended = false;
  private readonly recent: RecentSeqs;
  private onlineTemplate: Buffer | undefined;

  constructor(init: SessionInit, sender: ReliableSenderOptions) {
    this.uin = init.uin;
    this.from = init.from;
    this.loginHeaderSeq = init.loginHeaderSeq;
    this.tcpPort = init.login.port;
    this.realIp = init.login.ip;
    this.tcpFlag = init.login.tcpFlag;
    this.tcpVersion = init.login.tcpVersion;
    this.status = init.login.status;
    this.lastHeard = init.now;
    this.recent = new RecentSeqs(init.dedupWindow);
    this.sender = new ReliableSender(sender);
  }

  /**
   * Records (COMMAND, SEQ); true when it was seen lately. The command is part of the key
   * because some clients reuse a SEQ for 0x0442 (docs/protocol.md §2.2).
   */
  isDuplicate(command: number, seq: number): boolean {
    return !this.recent.add(command * 0x10000 + seq);
  }

  setStatus(status: number): void {
    this.status = status;
    this.onlineTemplate = undefined;
  }

  presence(): UserOnlineFields {
    return {
      uin: this.uin,
      ip: this.from.address,
      port: this.tcpPort,
      realIp: this.realIp,
      tcpFlag: this.tcpFlag,
      status: this.status,
      tcpVersion: this.tcpVersion,
    };
  }

  /** USER_ONLINE for this user, encoded once per status and copied for each watcher. */
  userOnlinePacket(): Buffer {
    this.onlineTemplate ??= encodeServerPacket({ kind: 'user-online', seq: 0, ...this.presence() });
    return this.onlineTemplate;
  }
}
