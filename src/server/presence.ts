import { STATUS_INVISIBLE } from '../wire/udp.js';

/**
 * Who watches whom: for each UIN, the online sessions that have it in their contact list.
 * Indexed by the watched UIN so that a login, logout or status change costs O(watchers),
 * never a scan of every session.
 */
export class WatcherIndex {
  private readonly byTarget = new Map<number, Set<number>>();

  add(watcher: number, target: number): void {
    let set = this.byTarget.get(target);
    if (!set) {
      set = new Set();
      this.byTarget.set(target, set);
    }
    set.add(watcher);
  }

  remove(watcher: number, target: number): void {
    const set = this.byTarget.get(target);
    if (!set) return;
    set.delete(watcher);
    if (set.size === 0) this.byTarget.delete(target);
  }

  /** Everyone watching target (live view: copy before changing the index while iterating). */
  watchersOf(target: number): ReadonlySet<number> {
    return this.byTarget.get(target) ?? EMPTY;
  }
}

const EMPTY: ReadonlySet<number> = new Set();

/**
 * Invisible users (low WORD 0x0100) are reported offline to their watchers (§2.3). Tested
 * as a bit, so that a client combining it with another mode stays hidden too.
 */
export function isInvisible(status: number): boolean {
  return (status & STATUS_INVISIBLE) !== 0;
}
