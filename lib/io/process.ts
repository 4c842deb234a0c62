// Whether a process of this machine is alive: what decides if a lock, a temporary or a partial
// download a process left behind is still its own, or stale.
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
