import type { TransferSummary } from './options.js';

/**
 * Everything the engine reports, as plain objects. The CLI turns them into bars, text or
 * NDJSON (`--json` prints each one as a line, exactly these keys). The engine never prints.
 */

export interface OnlineEvent {
  event: 'online';
  /** Our UIN (0 in peer-to-peer mode without a login). */
  uin: number;
  /** Where the message listener listens. */
  host: string;
  port: number;
}

export interface RequestEvent {
  event: 'request';
  /** The sending peer's UIN. */
  peer: number;
  /** FILENAME from the request: one base name or "N Files". */
  name: string;
  /** Number of files announced (from "N Files", else 1). */
  files: number;
  /** TOTAL_SIZE from the request. */
  bytes: number;
  description: string;
}

export interface AcceptedEvent {
  event: 'accepted';
  peer: number;
  /** The dedicated file port (receiver) or the port the peer gave (sender). */
  port: number;
}

export interface RefusedEvent {
  event: 'refused';
  peer: number;
  reason: string;
  /** 'peer': the other side refused us; 'local': we refused the other side. */
  by: 'peer' | 'local';
}

export interface FileStartEvent {
  event: 'file-start';
  peer: number;
  /** Relative path as it travels (sub-directory + name), '/'-separated. */
  name: string;
  /** Local path: the file read (sender) or the final path written (receiver). */
  path: string;
  size: number;
  /** Bytes already there (resume), or size when the file is skipped. */
  offset: number;
  /** MIME type from the name (mime-types), application/octet-stream when unknown. */
  type: string;
  /** 1-based position in the batch. */
  index: number;
  files: number;
}

export interface ProgressEvent {
  event: 'progress';
  peer: number;
  /** Bytes of the whole batch done (offsets of resumed files count as done). */
  bytes: number;
  total: number;
  name: string;
  fileBytes: number;
  fileSize: number;
  /** Bytes per second over this transfer so far. */
  rate: number;
}

export interface FileDoneEvent {
  event: 'file-done';
  peer: number;
  name: string;
  path: string;
  /** The file's size. */
  bytes: number;
  /**
   * sha256 of the whole file, hex (also when resumed); '' for a skipped file that is not
   * there, and for every file when the engine runs with `sha256: false`.
   */
  sha256: string;
  type: string;
  /** True when the file was skipped (offset = size) rather than transferred. */
  skipped: boolean;
}

/** The batch's totals (TransferSummary), once the last file is done. */
export interface DoneEvent extends TransferSummary {
  event: 'done';
}

/**
 * Something the user should know that does not end the transfer: a resume that could not
 * be used, a file skipped because its path conflicts with what is in the receive directory,
 * a directory sent flat to a receiver not known to read sub-directories, a connection
 * dropped at a limit. `code` (ICQ_ERR_…) where one applies.
 */
export interface WarningEvent {
  event: 'warning';
  code?: string;
  message: string;
  peer?: number;
}

/**
 * The server session was lost for a while ('relogging': a restarted server that no longer
 * knows us, or a silent one; login attempts repeat) or is back ('online'). A session lost
 * for good is an `error` event instead, and ends the command.
 */
export interface SessionEvent {
  event: 'session';
  state: 'relogging' | 'online';
  /** For people: why it was lost, or where it is logged in again. */
  message: string;
}

export interface ErrorEvent {
  event: 'error';
  code: string;
  message: string;
  peer?: number;
}

export type TransferEvent =
  | OnlineEvent
  | RequestEvent
  | AcceptedEvent
  | RefusedEvent
  | FileStartEvent
  | ProgressEvent
  | FileDoneEvent
  | DoneEvent
  | WarningEvent
  | SessionEvent
  | ErrorEvent;

export type EventSink = (event: TransferEvent) => void;
