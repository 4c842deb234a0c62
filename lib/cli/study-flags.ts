// `study` flags that every sweep of the study shares, checked before any study file is planned or
// any model loaded: a bad one is blamed on the flag, not on the first study file it lands in.
import { parseSpec, SpecError } from '../spec/index.js';
import { UsageError } from './exit.js';

const FLAG_OF: Record<string, string> = { dtype: '--dtype', device: '--device', devices: '--devices' };

export function checkStudyFlags(o: { dtype?: string; device?: string; devices?: string }, models: string[]): void {
  const devices = o.devices
    ?.split(',')
    .map((d) => d.trim())
    .filter(Boolean);
  try {
    parseSpec({
      model: models[0],
      output: 'study.arrow',
      ...(o.dtype !== undefined ? { dtype: o.dtype } : {}),
      ...(o.device !== undefined ? { device: o.device } : {}),
      ...(devices !== undefined ? { devices } : {}),
    });
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    const issue = e.issues[0];
    const field = issue.path.replace(/\[\d+\]$/, '');
    throw new UsageError(`${FLAG_OF[field] ?? field}: ${issue.message}`);
  }
}
