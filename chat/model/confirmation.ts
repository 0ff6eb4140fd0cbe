/**
 * "yes" / "no" to an open proposal. Deliberately narrow: only a short, explicit answer confirms a
 * mutating action; anything longer goes through understanding as a new request. Pure.
 */
const CONFIRM = /^\s*(yes|y|yep|yeah|yup|confirm|confirmed|go ahead|do it|proceed|ok|okay|sure|approve the proposal)\s*(please|now)?\s*[.!]*\s*$/i;
const DISMISS = /^\s*(no|n|nope|nah|never ?mind|forget it|don'?t|cancel that|scratch that|dismiss)\s*(please|thanks)?\s*[.!]*\s*$/i;

export function confirmationOf(text: string): 'confirm' | 'dismiss' | undefined {
  if (CONFIRM.test(text)) return 'confirm';
  if (DISMISS.test(text)) return 'dismiss';
  return undefined;
}
