// Native exports of the kernels area. Filled in by that area's work.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface KernelAddon {}
