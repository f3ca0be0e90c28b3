/** Where a session writes for people: injected, so tests capture it and nothing writes to the process directly. */
export interface Terminal {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** stderr is a terminal: long static runs draw a progress bar there. */
  readonly stderrTTY?: boolean;
}
