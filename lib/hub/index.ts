export { resolveModel, type ResolveOptions } from './resolve.js';
export { HubError, type HubErrorCode } from './errors.js';
export { hubCacheDir, repoFolder, findCachedSnapshot, snapshotComplete, isOffline } from './cache.js';
export { parseRepoRef, type RepoRef } from './repo-id.js';
export { downloadModel, type DownloadOptions } from './download.js';
