/**
 * The journal envelope (DOMAIN.md, Journal) and its hash: SHA-256 over the previous hash and the
 * canonical JSON (RFC 8785) of the event without its own hash. Flipping one byte of any stored
 * event breaks the chain at that event's sequence.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../resources/canonical-json.js';

/** The hash that precedes a session's first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** Who caused an event: a participant, an agent or a controller. */
export interface Actor {
  kind: 'participant' | 'agent' | 'controller' | 'system';
  name: string;
}

/** One journal event as stored and served. */
export interface JournalEvent {
  /** UUIDv7: time-ordered, unique. */
  id: string;
  /** `namespace/name` of the session. */
  session: string;
  /** Per session, gap-free, starting at 1. */
  sequence: number;
  /** RFC 3339 with milliseconds. */
  time: string;
  type: string;
  actor: Actor;
  /** The run this event belongs to, if any. */
  run?: string;
  /**
   * The uid of that run: a run deleted and created again under the same name is another object,
   * and its history is told apart by this (events written before runUid existed have none).
   */
  runUid?: string;
  payload: Record<string, unknown>;
  correlationId?: string;
  causationId?: string;
  prevHash: string;
  hash: string;
}

/**
 * What a caller supplies to append; the journal assigns sequence and hashes, and id and time unless
 * given. Only an import gives them: the control plane keeps a runtime node's event id and time (the
 * same event on both sides) and chains it into its own log with its own sequence and hashes.
 */
export interface JournalEventInput {
  /** An imported event's id (default: a new UUIDv7). */
  id?: string;
  /** An imported event's time (default: now). */
  time?: string;
  type: string;
  actor: Actor;
  run?: string;
  runUid?: string;
  payload?: Record<string, unknown>;
  correlationId?: string;
  causationId?: string;
}

/** Computes an event's hash from its fields (everything but `hash`) and the previous hash. */
export function hashEvent(event: Omit<JournalEvent, 'hash'>): string {
  const { prevHash, ...rest } = event;
  const body = canonicalJson(rest);
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}
