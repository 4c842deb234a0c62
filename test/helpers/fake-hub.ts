// A loopback stand-in for the Hugging Face Hub, serving the endpoints @huggingface/hub calls
// (read from its sources: model-info, list-files, paths-info, file-download-info, WebBlob):
//   GET  /api/models/<repo>/revision/<rev>       → { id, sha, ... }
//   GET  /api/models/<repo>/tree/<rev>           → [{ type, path, size, oid, lfs? }]
//   POST /api/models/<repo>/paths-info/<rev>     → [{ type, path, size, oid, lfs?, lastCommit }]
//   GET  /<repo>/resolve/<rev>/<file>            → bytes; Range → 206 + Content-Range, ETag, X-Repo-Commit
// Errors carry X-Error-Code (RepoNotFound, RevisionNotFound, EntryNotFound) as the Hub does.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRepo {
  sha: string;
  files: Record<string, Buffer>;
  /** only answer requests with this bearer token */
  token?: string;
}

export interface FakeHubRequest {
  method: string;
  url: string;
  authorization: string | undefined;
}

export interface FakeHub {
  url: string;
  requests: FakeHubRequest[];
  /** files whose full download is cut off halfway (the socket is destroyed) */
  truncate: Set<string>;
  /** files served with the right length but wrong bytes */
  corrupt: Set<string>;
  /** files whose full download stops halfway with the connection left open */
  stall: Set<string>;
  /** files sent in eight parts 50 ms apart, so that downloads of them overlap */
  slow: Set<string>;
  close(): Promise<void>;
}

const isLfs = (path: string) => /\.(safetensors|bin)$/.test(path);
const gitOid = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function entry(path: string, b: Buffer, withCommit: boolean) {
  return {
    type: 'file',
    path,
    size: isLfs(path) ? 134 : b.length,
    oid: gitOid(b),
    ...(isLfs(path) ? { lfs: { oid: sha256(b), size: b.length, pointerSize: 134 } } : {}),
    // A different commit than the revision: the client must not use it as the snapshot id.
    ...(withCommit ? { lastCommit: { id: 'c'.repeat(40), title: 'add file', date: '2024-01-01T00:00:00.000Z' } } : {}),
  };
}

export async function startFakeHub(repos: Record<string, FakeRepo>): Promise<FakeHub> {
  const requests: FakeHubRequest[] = [];
  const truncate = new Set<string>();
  const corrupt = new Set<string>();
  const stall = new Set<string>();
  const slow = new Set<string>();

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const notFound = (res: ServerResponse, code: string, msg: string) =>
    json(res, 404, { error: msg }, { 'X-Error-Code': code });

  // Longest repo name first so "org/name" wins over a one-part repo "org".
  const names = Object.keys(repos).sort((a, b) => b.length - a.length);
  const splitRepo = (rest: string): [string, string] | undefined => {
    for (const n of names) if (rest.startsWith(`${n}/`)) return [n, rest.slice(n.length + 1)];
    return undefined;
  };
  const revOk = (repo: FakeRepo, rev: string) => rev === 'main' || rev === repo.sha;

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname);
    requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    const api = path.startsWith('/api/models/');
    const found = splitRepo(api ? path.slice('/api/models/'.length) : path.slice(1));
    if (!found) return notFound(res, 'RepoNotFound', 'Repository not found');
    const [name, rest] = found;
    const repo = repos[name];
    if (repo.token && req.headers.authorization !== `Bearer ${repo.token}`) {
      return json(
        res,
        401,
        { error: 'Invalid credentials in Authorization header' },
        { 'X-Error-Code': 'RepoNotFound' },
      );
    }
    const [kind, rev, ...fileParts] = rest.split('/');
    if (!revOk(repo, rev)) return notFound(res, 'RevisionNotFound', `Invalid rev id: ${rev}`);

    if (api && kind === 'revision' && req.method === 'GET') {
      return json(res, 200, {
        _id: `id-${name}`,
        id: name,
        sha: repo.sha,
        private: false,
        downloads: 0,
        likes: 0,
        lastModified: '2024-01-01T00:00:00.000Z',
        siblings: Object.keys(repo.files).map((rfilename) => ({ rfilename })),
      });
    }
    if (api && kind === 'tree' && req.method === 'GET') {
      return json(
        res,
        200,
        Object.entries(repo.files).map(([p, b]) => entry(p, b, false)),
      );
    }
    if (api && kind === 'paths-info' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const { paths } = JSON.parse(body) as { paths: string[] };
      return json(
        res,
        200,
        paths.filter((p) => p in repo.files).map((p) => entry(p, repo.files[p], true)),
      );
    }
    if (!api && kind === 'resolve' && (req.method === 'GET' || req.method === 'HEAD')) {
      const file = fileParts.join('/');
      let data = repo.files[file];
      if (!data) return notFound(res, 'EntryNotFound', `Entry not found: ${file}`);
      const headers: Record<string, string> = {
        ETag: `"${isLfs(file) ? sha256(data) : gitOid(data)}"`,
        'X-Repo-Commit': repo.sha,
        'Accept-Ranges': 'bytes',
        'Content-Type': 'application/octet-stream',
      };
      const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      if (range) {
        const a = Number(range[1]);
        const b = Math.min(Number(range[2]), data.length - 1);
        res.writeHead(206, {
          ...headers,
          'Content-Range': `bytes ${a}-${b}/${data.length}`,
          'Content-Length': String(b - a + 1),
        });
        return res.end(req.method === 'HEAD' ? undefined : data.subarray(a, b + 1));
      }
      if (corrupt.has(file)) data = Buffer.from(data.map((x) => x ^ 0x5a));
      res.writeHead(200, { ...headers, 'Content-Length': String(data.length) });
      if (req.method === 'HEAD') return res.end();
      if (stall.has(file)) return res.write(data.subarray(0, data.length >> 1));
      if (slow.has(file)) {
        const part = Math.ceil(data.length / 8);
        for (let at = 0; at < data.length; at += part) {
          res.write(data.subarray(at, at + part));
          await new Promise((ok) => setTimeout(ok, 50));
        }
        return res.end();
      }
      if (truncate.has(file)) {
        res.write(data.subarray(0, data.length >> 1), () => setTimeout(() => res.destroy(), 20));
        return;
      }
      return res.end(data);
    }
    return notFound(res, 'EntryNotFound', `no route for ${req.method} ${path}`);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => json(res, 500, { error: String(e) }));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    truncate,
    corrupt,
    stall,
    slow,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
