/**
 * Strings packed as small integers for another thread (the event log's and the journal's writer
 * threads): each string gets an id the first time it is seen, and the strings new since the last
 * batch go with that batch, for the reader to append to its own table in order. Most records
 * repeat the previous record's symbol, interval or word, so each field keeps its last string and id.
 */
export class StringTable {
  private readonly ids = new Map<string, number>();
  /** Per field, the last string seen ('\u0000' for none: no field holds it) and its id. */
  private readonly lastText: string[];
  private readonly lastId: Int32Array;
  private added: string[] = [];

  constructor(fields: number) {
    this.lastText = new Array<string>(fields).fill('\u0000');
    this.lastId = new Int32Array(fields);
  }

  /** The id of `text`, read at `field` (a small index the caller names). */
  id(text: string, field: number): number {
    if (this.lastText[field] === text) return this.lastId[field]!;
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(text, id);
      this.added.push(text);
    }
    this.lastText[field] = text;
    this.lastId[field] = id;
    return id;
  }

  /** Strings interned so far. */
  get size(): number {
    return this.ids.size;
  }

  /** The strings new since the last call, in id order. */
  takeAdded(): string[] {
    const added = this.added;
    this.added = [];
    return added;
  }

  /** Forgets every string: ids start from 0 again (the reader starts a new table too). */
  clear(): void {
    this.ids.clear();
    this.lastText.fill('\u0000');
    this.added = [];
  }
}
