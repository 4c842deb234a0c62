// What both HTML reports (the sweep's, lib/plot/report.ts, and the study's) write text and
// figures with.

/** Text (or any value, as text) safe inside HTML elements and quoted attributes. */
export const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * An SVG file's text as an element inside HTML. Vega writes namespace identifiers
 * (xmlns="http://www.w3.org/2000/svg"); they name the vocabulary and are never fetched, but
 * inline SVG in HTML does not need them, so they go.
 */
export const inlineSvg = (svg: string): string => svg.replace(/\s+xmlns(:xlink)?="[^"]*"/g, '');
