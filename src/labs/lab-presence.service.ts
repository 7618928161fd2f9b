/**
 * Which labs are online: a lab is online while its daemon holds a printJobs subscription on some
 * center process, and for a grace period after it was last seen (so a reconnect does not demote it).
 */
export class LabPresence {
  private readonly connections = new Map<string, number>();

  connected(labId: string): void {
    this.connections.set(labId, (this.connections.get(labId) ?? 0) + 1);
  }

  disconnected(labId: string): void {
    const n = (this.connections.get(labId) ?? 1) - 1;
    if (n <= 0) this.connections.delete(labId);
    else this.connections.set(labId, n);
  }

  /** The labs holding at least one subscription in this process. */
  connectedLabs(): string[] {
    return [...this.connections.keys()];
  }

  isConnectedHere(labId: string): boolean {
    return this.connections.has(labId);
  }

  isOnline(labId: string, lastSeenAt: Date | null, graceSeconds: number, now = Date.now()): boolean {
    if (this.isConnectedHere(labId)) return true;
    return lastSeenAt !== null && now - lastSeenAt.getTime() <= graceSeconds * 1000;
  }
}
