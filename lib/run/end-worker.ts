// The end of a sweep on a worker thread: the journal read back, the final Arrow file built and
// written, and the figures drawn (each hundreds of milliseconds of JavaScript on a large sweep),
// so that a program embedding distprompt keeps its event loop to the last row.
import { plotAll } from '../plot/index.js';
import { finishJournal, type FinishOptions, type ResultMetadata } from '../results/index.js';
import { serveTasks } from '../worker/client.js';

export const endTasks = {
  async finish(a: {
    out: string;
    how: { meta: ResultMetadata; replace: boolean };
    options: FinishOptions;
    figures: string | false;
  }) {
    const { records, bytes } = await finishJournal(a.out, a.how, a.options);
    const figures = a.figures === false ? [] : await plotAll(records, a.figures);
    // The file's bytes move back (not copied); the caller decodes its rows only if asked for them.
    return { bytes, figures };
  },
};

void serveTasks(endTasks);
