import type { Interface } from 'node:readline/promises';
import { clearLine, cursorTo } from 'node:readline';
import type { FileRequestInfo } from '../transfer/options.js';
import { descriptionText, isYes, questionText } from './decide.js';
import type { TextSink } from './reporter.js';

export interface TerminalPromptOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Ctrl-C or SIGTERM from outside: the open question is refused and no other is shown. */
  interrupt: AbortSignal;
  /**
   * Ctrl-C typed at a question. The terminal is raw then, so no SIGINT reaches the
   * process: the prompt refuses the request and calls this to stop the program.
   */
  onCtrlC?: () => void;
}

/** The question on the terminal now: its readline, and how it ends. */
interface OpenQuestion {
  rl: Interface;
  end: (answer: boolean) => void;
}

/**
 * Asks on a terminal about each request, one question at a time (requests arriving
 * together wait their turn), and owns the terminal's last line while a question is open:
 * - a request withdrawn before its turn is never asked; one withdrawn while asked has its
 *   question replaced at once by a "withdrawn" line, and the next request gets its own
 *   question, so an answer always goes to the question on the screen;
 * - Ctrl-C at a question refuses that request and calls onCtrlC;
 * - text written through `sink` (the command's other output) is printed on its own line
 *   above the open question, which is drawn again under it.
 */
export class TerminalPrompt {
  private queue: Promise<unknown> = Promise.resolve();
  private open: OpenQuestion | undefined;

  constructor(private readonly options: TerminalPromptOptions) {
    options.interrupt.addEventListener('abort', () => this.close(false, '\n'), { once: true });
  }

  /** For everything else the command prints on the same terminal. */
  readonly sink: TextSink = {
    write: (text: string) => {
      const open = this.open;
      const output = this.options.output;
      if (!open) return output.write(text);
      cursorTo(output, 0);
      clearLine(output, 0);
      output.write(text.endsWith('\n') ? text : `${text}\n`);
      open.rl.prompt(true); // the question and what was typed so far, again
      return true;
    },
  };

  /** Resolves true for yes; false for anything else, a withdrawal or an interrupt. */
  ask(request: FileRequestInfo, withdrawn?: AbortSignal): Promise<boolean> {
    const answer = this.queue.then(() => this.askNow(request, withdrawn));
    this.queue = answer.catch(() => undefined);
    return answer;
  }

  private async askNow(request: FileRequestInfo, withdrawn?: AbortSignal): Promise<boolean> {
    if (this.options.interrupt.aborted || withdrawn?.aborted) return false;
    // Loaded on the first question: most runs (--accept, no terminal) never ask one.
    const { createInterface } = await import('node:readline/promises');
    if (this.options.interrupt.aborted || withdrawn?.aborted) return false;
    const { input, output } = this.options;
    output.write(descriptionText(request));
    const text = questionText(request);
    const rl = createInterface({ input, output, terminal: true });
    return new Promise<boolean>((resolve) => {
      const onWithdrawn = (): void => {
        // The question line becomes a note that it is gone; the next one starts clean.
        cursorTo(output, 0);
        clearLine(output, 0);
        this.close(false, `${text.replace(/ \[y\/N\] $/, '')} withdrawn\n`);
      };
      const open: OpenQuestion = {
        rl,
        end: (answer) => {
          withdrawn?.removeEventListener('abort', onWithdrawn);
          resolve(answer);
        },
      };
      this.open = open;
      withdrawn?.addEventListener('abort', onWithdrawn, { once: true });
      rl.on('SIGINT', () => {
        this.close(false, '\n');
        // After the refusal has gone out (the receiver answers on the next turns).
        setImmediate(() => this.options.onCtrlC?.());
      });
      rl.question(text).then(
        (line) => this.finish(open, isYes(line)),
        () => this.finish(open, false),
      );
    });
  }

  /** Ends the open question (if any) with answer after writing trailer. */
  private close(answer: boolean, trailer: string): void {
    const open = this.open;
    if (!open) return;
    this.options.output.write(trailer);
    this.finish(open, answer);
  }

  /** The prompt as a decide rule's `ask`. */
  static asker(options: TerminalPromptOptions): (request: FileRequestInfo, withdrawn?: AbortSignal) => Promise<boolean> {
    const prompt = new TerminalPrompt(options);
    return (request, withdrawn) => prompt.ask(request, withdrawn);
  }

  private finish(open: OpenQuestion, answer: boolean): void {
    if (this.open !== open) return;
    this.open = undefined;
    open.rl.close();
    open.end(answer);
  }
}
