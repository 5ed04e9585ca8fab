/**
 * Fails any test during which a child program crashed (scripts/processes.ts says what a
 * crash is), whatever the test itself expected: a crash is never a passing result.
 */
import { afterEach } from 'vitest';
import { takeCrashes } from '../../scripts/processes.js';

afterEach(() => {
  const crashes = takeCrashes();
  if (crashes.length > 0) throw new Error(`a child program crashed:\n${crashes.join('\n')}`);
});
