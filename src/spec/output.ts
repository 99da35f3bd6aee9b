// The ordered LXC config items a translation produces, plus notes for the log.

export type ConfigItem = readonly [key: string, value: string];

export class Translation {
  readonly items: ConfigItem[] = [];
  /** Spec fields skipped on purpose (an operator switch is off); the caller logs them at debug. */
  readonly notes: string[] = [];

  add(key: string, value: string | number): void {
    this.items.push([key, String(value)]);
  }

  note(message: string): void {
    this.notes.push(message);
  }
}
