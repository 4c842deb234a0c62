// A figure a study wrote, as its summary lists it: its own file, so the library's public types
// reach none of the figure builders' (typed by vega-lite, whose declarations a strict consumer's
// compiler refuses).

export interface StudyFigure {
  /** what the figure shows: an experiment, or a study's variants on one model */
  group: string;
  study: string;
  /** experiments whose rows it draws */
  experiments: string[];
  id: string;
  title: string;
  paperFigure: string;
  /** what a figure beyond the paper shows (lib/plot's Figure.caption) */
  caption?: string;
  svgPath: string;
  pngPath: string;
  svg: string;
}
