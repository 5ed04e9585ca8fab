import { afterEach, describe, expect, it } from 'vitest';
import { cleanUp, connectionAndPeer } from './session-helpers.js';

afterEach(cleanUp);

describe('PeerConnection', () => {
  it('hands every frame of one chunk to the handler current at that frame', async () => {
    const [conn, peer] = await connectionAndPeer();
    conn.on('error', () => {});
    const seen: string[] = [];
    const second = (f: Buffer) => seen.push(`second:${f.toString('hex')}`);
    conn.setHandler((f) => {
      seen.push(`first:${f.toString('hex')}`);
      conn.setHandler(second);
    });
    peer.socket.write(Buffer.from('0100aa0100bb0100cc', 'hex'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual(['first:aa', 'second:bb', 'second:cc']);
  });

  it('reports nothing after its owner destroyed it, even a broken frame later in the same chunk', async () => {
    const [conn, peer] = await connectionAndPeer();
    // No 'error' listener on purpose: the owner that destroys a connection stops listening,
    // and an 'error' emitted then would be unhandled and end the process.
    conn.removeAllListeners('error');
    const frames: Buffer[] = [];
    conn.setHandler((f) => {
      frames.push(f);
      conn.destroy();
    });
    // One frame, then a zero-length frame (ICQ_ERR_BAD_LENGTH) in the same write.
    peer.socket.write(Buffer.from('0100ff0000', 'hex'));
    await new Promise<void>((resolve) => conn.once('close', () => resolve()));
    expect(frames.map((f) => f.toString('hex'))).toEqual(['ff']);
    expect(conn.closed).toBe(true);
  });

  it('still reports a broken frame to a listening owner', async () => {
    const [conn, peer] = await connectionAndPeer();
    const errors: unknown[] = [];
    conn.removeAllListeners('error');
    conn.on('error', (err) => errors.push(err));
    conn.setHandler(() => {});
    peer.socket.write(Buffer.from('0000', 'hex'));
    await new Promise<void>((resolve) => conn.once('close', () => resolve()));
    expect(errors).toEqual([expect.objectContaining({ code: 'ICQ_ERR_BAD_LENGTH' })]);
  });
});
