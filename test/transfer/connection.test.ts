import { afterEach, describe, expect, it } from 'vitest';
import { frameBody } from '../../src/wire/framing.js';
import { cleanUp, connectionAndPeer } from './session-helpers.js';

afterEach(cleanUp);

describe('PeerConnection', () => {
  it('hands every frame of one chunk to the handler current at that frame', async () => {
    const [conn, peer] = await connectionAndPeer();
    conn.on('error', () => {});
    const seen: string[] = [];
    const second = (b: Buffer, s: number, e: number) => seen.push(`second:${b.toString('hex', s, e)}`);
    conn.setHandler((b, s, e) => {
      seen.push(`first:${b.toString('hex', s, e)}`);
      conn.setHandler(second);
    });
    peer.socket.write(Buffer.from('0100aa0100bb0100cc', 'hex'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual(['first:aa', 'second:bb', 'second:cc']);
  });

  it('hands frames in place as ranges of the chunk read, and queued ones whole after a pause', async () => {
    const [conn, peer] = await connectionAndPeer();
    conn.on('error', () => {});
    const seen: { chunk: Buffer; start: number; end: number }[] = [];
    conn.setHandler((chunk, start, end) => {
      seen.push({ chunk, start, end });
      if (seen.length === 1) conn.setHandler(null);
    });
    peer.socket.write(Buffer.from('0200aabb0300ccddee', 'hex'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ start: 2, end: 4 });
    expect(seen[0]!.chunk.toString('hex', 0, 9)).toBe('0200aabb0300ccddee');
    conn.setHandler((chunk, start, end) => seen.push({ chunk, start, end }));
    expect(seen.map((f) => frameBody(f.chunk, f.start, f.end).toString('hex'))).toEqual(['aabb', 'ccddee']);
    expect(seen[1]).toMatchObject({ start: 0, end: 3 });
  });

  it('reports nothing after its owner destroyed it, even a broken frame later in the same chunk', async () => {
    const [conn, peer] = await connectionAndPeer();
    // No 'error' listener on purpose: the owner that destroys a connection stops listening,
    // and an 'error' emitted then would be unhandled and end the process.
    conn.removeAllListeners('error');
    const frames: Buffer[] = [];
    conn.setHandler((b, s, e) => {
      frames.push(frameBody(b, s, e));
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
