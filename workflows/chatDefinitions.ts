import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ChatSessionState, SendMessageInput, SendMessageResult } from '../chat/model/types';

/**
 * Messages of the `chatSession` workflow, shared with the API (chat/session/sessionService.ts).
 * Safe to import outside the sandbox: only define* helpers.
 */
export const CHAT_SESSION_WORKFLOW = 'chatSession';

/** A user message. The validator refuses empty, oversized, foreign or excess messages before they reach history. */
export const sendMessageUpdate = defineUpdate<SendMessageResult, [SendMessageInput]>('sendMessage');

/** Ends the conversation: open proposals are dropped, `session.ended` closes the SSE stream. */
export const endSessionSignal = defineSignal<[{ by: string }]>('endSession');

export const chatStateQuery = defineQuery<ChatSessionState>('state');

/** ApplicationFailure types of refused messages; the API maps each to a status code. */
export const MESSAGE_REJECTION = {
  empty: 'MessageEmpty',
  tooLong: 'MessageTooLong',
  notOwner: 'NotSessionOwner',
  ended: 'SessionEnded',
  queueFull: 'SessionQueueFull',
} as const;
