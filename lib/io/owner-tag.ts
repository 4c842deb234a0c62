// The `<pid>-<ms>` tag in the name of what a process leaves beside its work while it writes (a
// temporary, a partial download, a workers' folder): a later run reads it back to tell a live
// writer's from one a kill left behind, which nothing else would remove.
import { processAlive } from './process.js';

/** This process's tag: its pid, and when the thing tagged was begun (ms since the epoch). */
export const ownerTag = (): string => `${process.pid}-${Date.now()}`;

/**
 * Whether `text` is a tag (`<pid>-<ms>`, followed by `-…` where `more` is true, by nothing
 * otherwise) whose process is gone: dead, or a later process that reuses its pid. `since`, where
 * given, is when the tagged thing was last written, in place of the tag's own time. A text that
 * is no tag is not judged: false.
 */
export function ownerGone(text: string, o: { more: boolean; since?: number }): boolean {
  const m = (o.more ? /^(\d+)-(\d+)-./ : /^(\d+)-(\d+)$/).exec(text);
  return m !== null && !processAlive(Number(m[1]), o.since ?? Number(m[2]));
}
