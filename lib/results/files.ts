// Durable file operations live in lib/io; results import them from here as before.
export { removeStaleTemporaries, syncDir, writeAtomic } from '../io/atomic.js';
