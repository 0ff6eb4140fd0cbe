import type { AssembledContext } from './context/contextItem';
import type { MemoryService, RememberInput, SearchInput, SearchItem } from './memoryService';
import type { TurnRole } from './types';

/**
 * Memory operations as Temporal activities. Workflows (chat sessions, incidents) never touch a
 * store: they call these through proxyActivities. Every input and output is plain JSON.
 */
export function createMemoryActivities(memory: MemoryService) {
  return {
    async memoryRetrieveContext(input: { sessionId: string; query: string; budgetTokens?: number }): Promise<AssembledContext> {
      return memory.retrieveContext(input.sessionId, input.query, input.budgetTokens);
    },
    async memoryRecordTurn(input: { sessionId: string; role: TurnRole; content: string; subject: string }): Promise<{ content: string; rememberedId?: string }> {
      return memory.recordTurn(input.sessionId, { role: input.role, content: input.content }, input.subject);
    },
    async memoryRemember(input: RememberInput): Promise<{ id: string }> {
      return { id: (await memory.remember(input)).id };
    },
    async memorySearch(input: SearchInput): Promise<SearchItem[]> {
      return memory.search(input);
    },
    async memoryRecordChoice(input: { scope: { team?: string; user?: string }; choice: string; value: string; subject: string }): Promise<{ preferenceId?: string }> {
      const id = await memory.recordChoice(input);
      return id ? { preferenceId: id } : {};
    },
    async memorySummarise(input: { subject: 'session' | 'run' | 'incident'; subjectId: string; text: string }): Promise<void> {
      await memory.summarise(input.subject, input.subjectId, input.text);
    },
    async memoryRestore(input: { sessionId: string; text: string }): Promise<string> {
      return memory.restoreForSession(input.sessionId, input.text);
    },
    async memoryForgetSession(input: { sessionId: string }): Promise<{ existed: boolean }> {
      return { existed: await memory.forgetSession(input.sessionId) };
    },
    async memoryPurgeExpired(): Promise<void> {
      await memory.purgeExpired();
    },
  };
}

export type MemoryActivities = ReturnType<typeof createMemoryActivities>;
