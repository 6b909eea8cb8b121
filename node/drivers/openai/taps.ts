/**
 * Bounded pass-through of what a streaming response shows before its answer is complete:
 * reasoning text (assistant.thinking, coalesced instead of one event per token) and raw `data:`
 * payloads (raw, batched and capped per turn — kept for debugging, never unbounded).
 */
import type { DriverEvent } from '../contract.js';

type Emit = (event: DriverEvent) => void;

/** Coalesces reasoning deltas into assistant.thinking events: one per reasoning block, split when long. */
export class ThinkingTap {
  private text = '';

  constructor(
    private readonly emit: Emit,
    private readonly maxChars = 4096,
  ) {}

  add(delta: string): void {
    this.text += delta;
    if (this.text.length >= this.maxChars) this.flush();
  }

  flush(): void {
    if (this.text.length === 0) return;
    this.emit({ type: 'assistant.thinking', text: this.text });
    this.text = '';
  }
}

/** Batches raw payloads into raw events of at most `batchChars`, and stops after `maxChars` per turn. */
export class RawTap {
  private batch: string[] = [];
  private batchLength = 0;
  private total = 0;
  private capped = false;

  constructor(
    private readonly emit: Emit,
    private readonly maxChars = 64 * 1024,
    private readonly batchChars = 8 * 1024,
  ) {}

  add(data: string): void {
    if (this.capped) return;
    if (this.total + data.length > this.maxChars) {
      this.flush();
      this.capped = true;
      this.emit({ type: 'raw', data: `[raw output of this turn truncated after ${this.total} characters]` });
      return;
    }
    this.total += data.length;
    this.batch.push(data);
    this.batchLength += data.length;
    if (this.batchLength >= this.batchChars) this.flush();
  }

  /** Emits a note (a retry, say) in order with the payloads around it; notes are not capped. */
  note(text: string): void {
    this.flush();
    this.emit({ type: 'raw', data: text });
  }

  flush(): void {
    if (this.batch.length === 0) return;
    this.emit({ type: 'raw', data: this.batch.join('\n') });
    this.batch = [];
    this.batchLength = 0;
  }
}
