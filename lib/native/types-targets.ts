// Native exports of the targets area. Filled in by that area's work.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface TargetAddon {}
