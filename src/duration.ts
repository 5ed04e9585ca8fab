/** Durations in messages are in seconds, like every timeout option of icqsend and icqrecv. */
export function formatDuration(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
