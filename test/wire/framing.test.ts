import { describe, expect, it } from 'vitest';
import { FrameDecoder, encodeFrame } from '../../src/wire/framing.js';
import { IcqProtocolError } from '../../src/wire/errors.js';

function collect(decoder: FrameDecoder, chunks: Buffer[]): string[] {
  const out: string[] = [];
  for (const c of chunks) decoder.push(c, (f) => out.push(f.toString('hex')));
  return out;
}

describe('FrameDecoder', () => {
  it('decodes a frame fed one byte at a time', () => {
    const wire = Buffer.from('0300aabbcc', 'hex');
    const chunks = [...wire].map((b) => Buffer.from([b]));
    expect(collect(new FrameDecoder(), chunks)).toEqual(['aabbcc']);
  });

  it('decodes many frames in one chunk and keeps a split tail', () => {
    const d = new FrameDecoder();
    expect(collect(d, [Buffer.from('0100ff0200010201', 'hex')])).toEqual(['ff', '0102']);
    expect(d.bufferedBytes).toBe(1);
    expect(collect(d, [Buffer.from('0004', 'hex')])).toEqual(['04']);
  });

  it('rejects zero-length and oversize frames with stable codes', () => {
    expect(() => collect(new FrameDecoder(), [Buffer.from('0000', 'hex')])).toThrow(
      expect.objectContaining({ code: 'ICQ_ERR_BAD_LENGTH' }),
    );
    const err = (() => {
      try {
        collect(new FrameDecoder({ maxFrameSize: 4 }), [Buffer.from('0500', 'hex')]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(IcqProtocolError);
    expect((err as IcqProtocolError).code).toBe('ICQ_ERR_FRAME_TOO_LARGE');
  });

  it('encodes the length little-endian', () => {
    expect(encodeFrame(Buffer.alloc(0x102, 1)).subarray(0, 3).toString('hex')).toBe('020101');
  });
});
