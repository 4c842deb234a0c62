export { autoBoundBatch, boundGroupOf } from './groups.js';
export { headBound, type HeadBoundRecord } from './head-bound.js';
export { BOTTLENECK_STATUS, type BottleneckStatus } from '../native/types-bound.js';
export { headBoundOf, type HeadSpec } from './head-of.js';
export { parseBoundOptions, BoundOptionsError, type BoundOptions, type BoundSettings } from './options.js';
export { belowHeadBound, boundSlackNats } from './guard.js';
