import type { IntentType } from '../../chat/model/types';

/** One labelled utterance: [text, intent, entities as "type=value" separated by spaces ("" for none). */
export type Utterance = readonly [text: string, intent: IntentType, entities: string];
