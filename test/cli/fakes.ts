import { EventEmitter } from 'node:events';
import type { ReceiveEngine, ReceiverHandle } from '../../src/cli/icqrecv.js';
import type { SendEngine, SendPlan, SenderHandle } from '../../src/cli/icqsend.js';
import type { CommonOptions, ReceiveOptions, TransferSummary } from '../../src/transfer/options.js';

export function summary(peer: number, files = 1, bytes = 100): TransferSummary {
  return { peer, files, bytes, transferred: bytes, skipped: 0, seconds: 0.5 };
}

export interface SendCall {
  to: number;
  paths: string[];
  options: SendPlan['send'] | undefined;
}

/** A stand-in for FileSender that records what icqsend asked of it. */
export function fakeSendEngine(
  send: (call: SendCall, start: CommonOptions) => Promise<TransferSummary> = async (call) => summary(call.to),
  start?: (options: CommonOptions) => Promise<void>,
) {
  const calls = { start: [] as CommonOptions[], send: [] as SendCall[], closed: 0 };
  const engine: SendEngine = {
    async start(options) {
      calls.start.push(options);
      await start?.(options);
      const handle: SenderHandle = {
        send: (to, paths, sendOptions) => {
          const call = { to, paths, options: sendOptions };
          calls.send.push(call);
          return send(call, options);
        },
        close: async () => {
          calls.closed++;
        },
      };
      return handle;
    },
  };
  return { engine, calls };
}

export class FakeReceiver extends EventEmitter implements ReceiverHandle {
  closed = 0;
  constructor(
    readonly options: ReceiveOptions,
    readonly address = { host: '127.0.0.1', port: 45678 },
  ) {
    super();
  }
  async close(): Promise<void> {
    this.closed++;
  }
}

/** A stand-in for FileReceiver; `started` resolves with it once icqrecv has started it. */
export function fakeReceiveEngine(onStart?: (options: ReceiveOptions) => Promise<void> | void) {
  let resolveStarted!: (r: FakeReceiver) => void;
  const started = new Promise<FakeReceiver>((r) => (resolveStarted = r));
  const engine: ReceiveEngine = {
    async start(options) {
      await onStart?.(options);
      const receiver = new FakeReceiver(options);
      // icqrecv attaches its listeners right after start resolves.
      setImmediate(() => resolveStarted(receiver));
      return receiver;
    },
  };
  return { engine, started };
}
