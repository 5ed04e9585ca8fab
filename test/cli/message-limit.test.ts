import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from 'commander';
import { parseDescription } from '../../src/cli/parsers.js';
import { encodePeerMessage, fileRequest, MAX_DESCRIPTION_BYTES, MAX_SENT_FRAME_BODY, PeerMessageType } from '../../src/wire/peer.js';

const US = { uin: 1001, ip: '127.0.0.1', port: 4242 };
function fileRequestMessage(description: string, fileName: string) {
  return fileRequest(US, { description, fileName, totalSize: 1, seq: 0xfffffffe });
}

describe('--message and the 4094-byte frame limit (icqlib 1.0.0 crashes on more)', () => {
  it('takes a description of MAX_DESCRIPTION_BYTES, refuses one byte more as a usage error naming the limit', () => {
    expect(parseDescription('x'.repeat(MAX_DESCRIPTION_BYTES))).toHaveLength(MAX_DESCRIPTION_BYTES);
    expect(() => parseDescription('x'.repeat(MAX_DESCRIPTION_BYTES + 1))).toThrow(InvalidArgumentError);
    expect(() => parseDescription('x'.repeat(MAX_DESCRIPTION_BYTES + 1))).toThrow(/3501 bytes; at most 3500/);
    // Bytes, not characters: a non-latin1 text travels as UTF-8.
    expect(() => parseDescription('€'.repeat(1200))).toThrow(/3600 bytes/);
  });

  it('the longest description with a 255-byte file name still makes a request under 4094 bytes', () => {
    const body = encodePeerMessage(fileRequestMessage('x'.repeat(MAX_DESCRIPTION_BYTES), 'n'.repeat(255)));
    expect(body.length).toBeLessThanOrEqual(MAX_SENT_FRAME_BODY);
    expect(body.length).toBe(55 + MAX_DESCRIPTION_BYTES + 255);
  });

  it('the encoder refuses a message packet over 4094 bytes', () => {
    expect(() => encodePeerMessage(fileRequestMessage('x'.repeat(5000), 'a.txt'))).toThrow(/over the 4094 bytes/);
    expect(PeerMessageType.FILE).toBe(3);
  });
});
