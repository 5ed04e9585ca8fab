import { describe, it, expect } from 'vitest';
import { InvalidArgumentError } from 'commander';
import {
  parseByteSize,
  parseListen,
  parseMimeList,
  parsePeer,
  parseServer,
  parseSpeed,
  parseTimeoutSeconds,
  parseUin,
  parseUinList,
  parseWaitSeconds,
} from '../../src/cli/parsers.js';

function rejects(fn: () => unknown): InvalidArgumentError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return err as InvalidArgumentError;
  }
  throw new Error('expected InvalidArgumentError');
}

describe('parseUin', () => {
  it('accepts 1..4294967295', () => {
    expect(parseUin('1')).toBe(1);
    expect(parseUin('1002')).toBe(1002);
    expect(parseUin('4294967295')).toBe(0xffffffff);
  });
  it.each(['0', '4294967296', '-1', '12a', '', '1e3', '1.5', ' '])('rejects %j', (v) => {
    expect(rejects(() => parseUin(v)).message).toMatch(/UIN/);
  });
});

describe('HOST:PORT', () => {
  it('parses --server with a port, and defaults a bare host to 4000', () => {
    expect(parseServer('127.0.0.1:4001')).toEqual({ host: '127.0.0.1', port: 4001 });
    expect(parseServer('icq.lan')).toEqual({ host: 'icq.lan', port: 4000 });
  });
  it('requires the port for --peer', () => {
    expect(parsePeer('10.0.0.2:5000')).toEqual({ host: '10.0.0.2', port: 5000 });
    expect(rejects(() => parsePeer('10.0.0.2')).message).toMatch(/no port/);
  });
  it.each(['127.0.0.1:0', '127.0.0.1:65536', 'host:x', ':4000', '::1:4000', 'a b:1', 'h:-1'])('rejects %j', (v) => {
    rejects(() => parsePeer(v));
  });
});

describe('parseListen', () => {
  it('takes PORT on every interface, or HOST:PORT; 0 means any free port', () => {
    expect(parseListen('5000')).toEqual({ host: '0.0.0.0', port: 5000 });
    expect(parseListen('0')).toEqual({ host: '0.0.0.0', port: 0 });
    expect(parseListen('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListen('localhost:6000')).toEqual({ host: 'localhost', port: 6000 });
  });
  it.each(['65536', 'abc', '127.0.0.1:', ':5', '-1'])('rejects %j', (v) => {
    rejects(() => parseListen(v));
  });
});

describe('seconds', () => {
  it('turns seconds (decimals allowed) into milliseconds', () => {
    expect(parseTimeoutSeconds('10')).toBe(10_000);
    expect(parseTimeoutSeconds('0.25')).toBe(250);
    expect(parseWaitSeconds('0')).toBe(0);
  });
  it('refuses a zero timeout (every wait has a limit), negatives, words, and delays setTimeout cannot hold', () => {
    rejects(() => parseTimeoutSeconds('0'));
    rejects(() => parseTimeoutSeconds('-5'));
    rejects(() => parseTimeoutSeconds('ten'));
    rejects(() => parseWaitSeconds('3000000'));
  });
});

describe('parseSpeed', () => {
  it('accepts 0..100', () => {
    expect(parseSpeed('0')).toBe(0);
    expect(parseSpeed('55')).toBe(55);
    expect(parseSpeed('100')).toBe(100);
  });
  it.each(['101', '-1', '50.5', 'max'])('rejects %j', (v) => {
    expect(rejects(() => parseSpeed(v)).message).toMatch(/0 to 100/);
  });
});

describe('parseByteSize', () => {
  it('takes plain bytes and binary K/M/G/T suffixes', () => {
    expect(parseByteSize('1500')).toBe(1500);
    expect(parseByteSize('10K')).toBe(10 * 1024);
    expect(parseByteSize('10M')).toBe(10 * 1024 * 1024);
    expect(parseByteSize('10m')).toBe(10 * 1024 * 1024);
    expect(parseByteSize('1.5G')).toBe(1.5 * 1024 ** 3);
    expect(parseByteSize('2GB')).toBe(2 * 1024 ** 3);
    expect(parseByteSize('2GiB')).toBe(2 * 1024 ** 3);
    expect(parseByteSize('1T')).toBe(1024 ** 4);
    expect(parseByteSize('0')).toBe(0);
  });
  it.each(['', 'M', '10X', '-1', '1.5', '10 MB extra', '99999999999999999999'])('rejects %j', (v) => {
    rejects(() => parseByteSize(v));
  });
});

describe('lists', () => {
  it('splits --from into UINs, dropping blanks and repeats', () => {
    expect(parseUinList('1001,1002')).toEqual([1001, 1002]);
    expect(parseUinList(' 1001 , ,1001')).toEqual([1001]);
  });
  it('rejects a bad UIN in --from and an empty list', () => {
    rejects(() => parseUinList('1001,abc'));
    rejects(() => parseUinList(','));
  });
  it('takes MIME types and wildcards for --accept-type, lower-cased', () => {
    expect(parseMimeList('image/*,application/PDF')).toEqual(['image/*', 'application/pdf']);
    expect(parseMimeList('*/*')).toEqual(['*/*']);
  });
  it.each(['image', 'image/', '/png', 'ima ge/png', '*/png'])('rejects MIME %j', (v) => {
    rejects(() => parseMimeList(v));
  });
});
