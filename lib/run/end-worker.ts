// The end of a sweep on a worker thread: the journal read back, the final Arrow file built and
// written, and the figures drawn (each hundreds of milliseconds of JavaScript on a large sweep),
// so that a program embedding distprompt keeps its event loop to the last row.
import { plotAll } from '../plot/index.js';
import { fileError } from '../io/fs-error.js';
import { onCommandLine, said } from '../io/said.js';
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
    // The results are written by now: a figure that fails (a full disk) says they are safe.
    const figures =
      a.figures === false
        ? []
        : await plotAll(records, a.figures).catch((e: unknown) => {
            throw fileError(
              e,
              a.figures as string,
              said`the results are complete in ${a.out}: draw the figures with ${onCommandLine(`distprompt plot ${a.out}`, `plotAll((await readResults('${a.out}')).records, '${a.figures}')`)}`,
            );
          });
    // The file's bytes move back (not copied); the caller decodes its rows only if asked for them.
    return { bytes, figures };
  },
};

void serveTasks(endTasks);
