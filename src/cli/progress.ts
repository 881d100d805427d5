// Progress in the terminal: on a TTY, one line per agent redrawn in place; otherwise plain lines, one
// per change, so CI logs read top to bottom.
export class LiveLines {
  private readonly rows = new Map<string, string>();
  private readonly activities = new Map<string, string>();
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly tty: boolean,
    /** Raw output: nothing is added to what is written. */
    private readonly write: (s: string) => void,
  ) {}

  set(key: string, line: string): void {
    if (this.rows.get(key) === line) return;
    this.rows.set(key, line);
    if (this.tty) this.schedule();
    else this.write(`${line}\n`);
  }

  /** What an agent is doing now (its current tool): shown on a TTY only. */
  activity(key: string, what: string): void {
    this.activities.set(key, what);
    if (this.tty) this.schedule();
  }

  /** A line that stays (violations and such). */
  note(line: string): void {
    if (this.tty) {
      this.clear();
      this.write(`${line}\n`);
      this.draw();
    } else this.write(`${line}\n`);
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.clear();
      this.draw();
    }, 100);
  }

  private clear(): void {
    if (this.drawn) this.write(`\u001b[${this.drawn}A\u001b[J`);
    this.drawn = 0;
  }

  private draw(): void {
    const lines = [...this.rows].map(([key, line]) => (this.activities.has(key) ? `${line}  · ${this.activities.get(key)}` : line));
    if (!lines.length) return;
    this.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }

  done(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.tty) {
      this.clear();
      this.draw();
      this.drawn = 0;
    }
  }
}
