/**
 * Logs complaints about hostile input, one line each, but at most `maxLines` per window: a
 * flood of garbage must not turn into a flood of stderr writes (which would stall the
 * server as surely as the garbage itself). What was held back is counted and reported.
 */
export class LogLimiter {
  private windowStart = 0;
  private lines = 0;
  private suppressed = 0;

  constructor(
    private readonly log: (line: string) => void,
    private readonly maxLines = 50,
    private readonly windowMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  write(line: string): void {
    const t = this.now();
    if (t - this.windowStart >= this.windowMs) {
      if (this.suppressed > 0) this.log(`(${this.suppressed} similar lines suppressed)`);
      this.windowStart = t;
      this.lines = 0;
      this.suppressed = 0;
    }
    if (this.lines < this.maxLines) {
      this.lines++;
      this.log(line);
    } else {
      this.suppressed++;
    }
  }
}
