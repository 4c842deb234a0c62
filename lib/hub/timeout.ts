// A fetch that gives up on a hub that stops answering. Node's fetch waits 300 s for headers and
// 300 s between body chunks, so a stalled server or a dead connection held a download silent for
// minutes, per request. As Python's huggingface_hub does, a request fails once the hub has sent
// nothing for HF_HUB_DOWNLOAD_TIMEOUT seconds (default 10): no response yet, or no new body bytes.
import { HubError } from './errors.js';

export const DEFAULT_TIMEOUT_S = 10;

/** HF_HUB_DOWNLOAD_TIMEOUT in milliseconds; a value that is not a positive number is refused. */
export function downloadTimeoutMs(env: NodeJS.ProcessEnv): number {
  const raw = env.HF_HUB_DOWNLOAD_TIMEOUT;
  if (raw === undefined || raw.trim() === '') return DEFAULT_TIMEOUT_S * 1000;
  const s = Number(raw);
  if (!Number.isFinite(s) || s <= 0)
    throw new HubError(
      'bad-argument',
      `HF_HUB_DOWNLOAD_TIMEOUT must be a number of seconds above 0, got '${raw}' (unset, it is ${DEFAULT_TIMEOUT_S})`,
    );
  return s * 1000;
}

/** fetch, failing with a HubError once `idleMs` pass without a response or a body chunk. */
export function fetchWithIdleTimeout(idleMs: number, endpoint: string): typeof fetch {
  return async (input, init) => {
    const ctl = new AbortController();
    const outer = init?.signal;
    if (outer) {
      if (outer.aborted) ctl.abort(outer.reason);
      else outer.addEventListener('abort', () => ctl.abort(outer.reason), { once: true });
    }
    const url = String(input instanceof Request ? input.url : input);
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const what = (url.startsWith(endpoint) ? url.slice(endpoint.length) : url).split('?')[0];
        ctl.abort(
          new HubError(
            'download-failed',
            `the hub at ${endpoint} sent nothing for ${idleMs / 1000} s (${what}): the network or the hub is down ` +
              'or stalled. Try again, set HF_HUB_DOWNLOAD_TIMEOUT (seconds) higher on a slow link, or ' +
              'HF_HUB_OFFLINE=1 to use only the local cache',
          ),
        );
      }, idleMs);
      // A body the library never reads (a Range probe) must not hold the process open.
      timer.unref();
    };
    arm();
    let res: Response;
    try {
      res = await fetch(input, { ...init, signal: ctl.signal });
    } catch (e) {
      clearTimeout(timer);
      throw ctl.signal.aborted ? ctl.signal.reason : e;
    }
    if (!res.body) {
      clearTimeout(timer);
      return res;
    }
    arm();
    const body = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, out) {
          arm();
          out.enqueue(chunk);
        },
        flush() {
          clearTimeout(timer);
        },
      }),
    );
    const wrapped = new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    // The library reads the URL a redirect ended at (a CDN) to fetch the bytes from there.
    Object.defineProperty(wrapped, 'url', { value: res.url });
    return wrapped;
  };
}
