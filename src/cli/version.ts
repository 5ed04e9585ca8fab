import { readFileSync } from 'node:fs';

/**
 * The version in icqxfer's package.json, found by walking up from this module: it runs as
 * src/cli/version.ts in the tests and as dist/src/cli/version.js when installed, so the
 * number of levels differs.
 */
export function packageVersion(): string {
  let dir = new URL('.', import.meta.url);
  for (let level = 0; level < 6; level++) {
    dir = new URL('..', dir);
    let text: string;
    try {
      text = readFileSync(new URL('package.json', dir), 'utf8');
    } catch {
      continue;
    }
    const pkg = JSON.parse(text) as { name?: unknown; version?: unknown };
    if (pkg.name === 'icqxfer' && typeof pkg.version === 'string') return pkg.version;
  }
  return 'unknown';
}

/** What `--version` prints: the command's name and the package version ("icqsend 0.1.0"). */
export function versionLine(program: string): string {
  return `${program} ${packageVersion()}`;
}
