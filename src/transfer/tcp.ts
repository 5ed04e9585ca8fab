import net from 'node:net';
import { IcqError, ErrorCode } from '../errors.js';
import { formatDuration } from '../duration.js';
import { describeSystemError } from '../system-error.js';

/** IPv4-mapped IPv6 (`::ffff:1.2.3.4`) to plain IPv4; anything not IPv4 to 0.0.0.0. */
export function toIPv4(address: string | undefined): string {
  if (address === undefined) return '0.0.0.0';
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
  return net.isIPv4(plain) ? plain : '0.0.0.0';
}

function abortError(): IcqError {
  return new IcqError(ErrorCode.INTERRUPTED, 'interrupted');
}

/** connect() with a time limit; failures become PEER_UNREACHABLE. */
export function connectTcp(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    if (!(port > 0 && port < 65536)) {
      return reject(new IcqError(ErrorCode.PEER_UNREACHABLE, `cannot connect to ${host}:${port}: no such port`));
    }
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => finish(new IcqError(ErrorCode.PEER_UNREACHABLE, `connect to ${host}:${port} timed out after ${formatDuration(timeoutMs)}`)), timeoutMs);
    const onAbort = (): void => finish(abortError());
    signal?.addEventListener('abort', onAbort, { once: true });
    function finish(err?: Error): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        resolve(socket);
      }
    }
    function onConnect(): void {
      finish();
    }
    function onError(err: Error): void {
      finish(new IcqError(ErrorCode.PEER_UNREACHABLE, `cannot connect to ${host}:${port}: ${describeSystemError(err)}`, { cause: err }));
    }
    socket.once('connect', onConnect);
    socket.once('error', onError);
  });
}

/** Resolves after ms, or rejects INTERRUPTED when signal aborts. Timer does not hold the process. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const timer = setTimeout(done, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    function done(): void {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
  });
}

/**
 * A promise that settles with the first of: the work, a timeout (rejects timeoutError()),
 * or the signal (rejects INTERRUPTED). cleanup always runs.
 */
export function withDeadline<T>(
  work: Promise<T>,
  timeoutMs: number,
  timeoutError: () => Error,
  signal?: AbortSignal,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const timer = timeoutMs > 0 ? setTimeout(() => settle(() => reject(timeoutError())), timeoutMs) : undefined;
    const onAbort = (): void => settle(() => reject(abortError()));
    signal?.addEventListener('abort', onAbort, { once: true });
    let settled = false;
    function settle(fn: () => void): void {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      fn();
    }
    work.then(
      (v) => settle(() => resolve(v)),
      (e) => settle(() => reject(e)),
    );
  });
}
