import { describe, expect, it } from 'vitest';
import { crashOf } from '../../scripts/processes.js';

describe('crashOf: what counts as a crashed child', () => {
  const none = new Set<NodeJS.Signals>();
  it('a clean exit, an error exit below 128 and 130 are not crashes', () => {
    expect(crashOf('icqrecv', [], { code: 0, signal: null }, '', none)).toBeNull();
    expect(crashOf('icqsend', [], { code: 6, signal: null }, 'icqsend: x [ICQ_ERR_TRANSFER_BROKEN]\n', none)).toBeNull();
    expect(crashOf('icqsend', [], { code: 130, signal: null }, '', none)).toBeNull();
  });
  it('V8 dying after idling (exit 133, "Check failed") is a crash', () => {
    expect(crashOf('icqrecv', ['--accept'], { code: 133, signal: null }, '', none)).toMatch(/exit 133/);
    expect(crashOf('icqrecv', [], { code: 1, signal: null }, '#\n# Check failed: concurrent_marking_handle_\n', none)).toMatch(/fatal/);
    expect(crashOf('icqrecv', [], { code: null, signal: 'SIGTRAP' }, '', none)).toMatch(/SIGTRAP/);
  });
  it('an uncaught stack trace or a FATAL ERROR is a crash whatever the exit code', () => {
    const trace = 'Error: write EPIPE\n    at afterWriteDispatched (node:internal/stream_base_commons:161:15)\n';
    expect(crashOf('icqsend', [], { code: 1, signal: null }, trace, none)).toMatch(/fatal/);
    expect(crashOf('icqd', [], { code: 134, signal: null }, 'FATAL ERROR: Reached heap limit\n', none)).not.toBeNull();
  });
  it('a signal the harness sent on purpose is not a crash', () => {
    expect(crashOf('icqsend', [], { code: null, signal: 'SIGKILL' }, '', new Set(['SIGKILL']))).toBeNull();
    expect(crashOf('icqsend', [], { code: null, signal: 'SIGKILL' }, '', none)).toMatch(/SIGKILL/);
  });
});
