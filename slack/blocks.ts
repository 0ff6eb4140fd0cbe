import type { KnownBlock } from '@slack/types';

/**
 * Block Kit for what the copilot posts. Everything that came from outside (params, gate messages,
 * chat replies, names) goes through `escapeText`, so untrusted text can neither ping (`<!here>`)
 * nor forge links or mentions (`<https://…|…>`, `<@U…>`).
 */
export const ACTION = {
  approve: 'copilot_approve',
  reject: 'copilot_reject',
  confirm: 'copilot_confirm',
  cancel: 'copilot_cancel',
  incidentNote: 'copilot_incident_note',
  incidentConfirm: 'copilot_incident_confirm',
  incidentReject: 'copilot_incident_reject',
  incidentRemediate: 'copilot_incident_remediate',
} as const;

/** The note modal's callback id and its input's block/action ids. */
export const NOTE_VIEW = { callbackId: 'copilot_incident_note', block: 'note', action: 'text' } as const;

export interface IncidentButtonValue {
  incidentId: string;
  hypothesisId?: string;
  actionId?: string;
}

/** The value a gate button carries (Slack caps values at 2000 characters). */
export interface GateButtonValue {
  runId: string;
  gateId: string;
  digest?: string;
}

export interface ProposalButtonValue {
  sessionId: string;
  proposalId: string;
}

/** Slack's three control characters in mrkdwn (https://api.slack.com/reference/surfaces/formatting#escaping). */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function mrkdwn(text: string): { type: 'mrkdwn'; text: string } {
  return { type: 'mrkdwn', text: clip(text, 2900) };
}

/** `<!date^…>` renders in the reader's time zone; the fallback is the ISO time. */
export function slackDate(iso: string): string {
  const seconds = Math.floor(new Date(iso).getTime() / 1000);
  return Number.isFinite(seconds) ? `<!date^${seconds}^{date_short_pretty} {time}|${iso}>` : escapeText(iso);
}

export interface Links {
  consoleUrl?: string;
  temporalUiUrl: string;
  namespace: string;
}

export function runLinks(runId: string, links: Links, kind: 'runs' | 'incidents' = 'runs'): string {
  const temporal = `${links.temporalUiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(links.namespace)}/workflows/${encodeURIComponent(runId)}`;
  const parts = [`<${temporal}|Temporal UI>`];
  if (links.consoleUrl) parts.unshift(`<${links.consoleUrl.replace(/\/$/, '')}/${kind}/${encodeURIComponent(runId)}|console>`);
  return parts.join(' · ');
}

function paramsText(params: Record<string, unknown> | undefined): string {
  const entries = Object.entries(params ?? {});
  if (entries.length === 0) return '_no parameters_';
  return entries.map(([k, v]) => `\`${escapeText(k)}\` = \`${escapeText(clip(typeof v === 'string' ? v : JSON.stringify(v), 200)).replace(/`/g, "'")}\``).join('\n');
}

export interface GateCard {
  runId: string;
  runbook: string;
  params: Record<string, unknown>;
  requestedBy: string;
  gateId: string;
  message?: string;
  roles: string[];
  count: number;
  fourEyes: boolean;
  expiresAt: string;
  digest?: string;
  /** Set once the gate is no longer pending. */
  outcome?: { status: string; by?: string | null; at?: string; via?: string | null };
}

const OUTCOME_WORDS: Record<string, string> = {
  approved: ':white_check_mark: Approved',
  rejected: ':x: Rejected',
  expired: ':hourglass: Expired',
  cancelled: ':no_entry_sign: Cancelled',
};

export function gateCardText(card: GateCard): string {
  if (card.outcome) {
    const word = (OUTCOME_WORDS[card.outcome.status] ?? card.outcome.status).replace(/^:[a-z_]+: /, '');
    return escapeText(`${word}: ${card.runbook} ${card.runId} gate "${card.gateId}"${card.outcome.by ? ` by ${card.outcome.by}` : ''}`);
  }
  return escapeText(`Approval needed: ${card.runbook} ${card.runId} gate "${card.gateId}" (requested by ${card.requestedBy})`);
}

export function gateCardBlocks(card: GateCard, links: Links): KnownBlock[] {
  const who = `${card.count} × ${card.roles.map(escapeText).join(' or ')}${card.fourEyes ? `, not ${escapeText(card.requestedBy)} (four-eyes)` : ''}`;
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: mrkdwn(
        `*Approval ${card.outcome ? 'request' : 'needed'}* · \`${escapeText(card.runbook)}\` · ${escapeText(card.runId)}\nGate *${escapeText(card.gateId)}*${card.message ? `: ${escapeText(card.message)}` : ''}`,
      ),
    },
    {
      type: 'section',
      fields: [
        mrkdwn(`*Requested by*\n${escapeText(card.requestedBy)}`),
        mrkdwn(`*Who may approve*\n${who}`),
        mrkdwn(`*Expires*\n${slackDate(card.expiresAt)}`),
        mrkdwn(`*Parameters*\n${paramsText(card.params)}`),
      ],
    },
  ];
  if (card.outcome) {
    const word = OUTCOME_WORDS[card.outcome.status] ?? escapeText(card.outcome.status);
    const by = card.outcome.by ? ` by *${escapeText(card.outcome.by)}*` : '';
    const at = card.outcome.at ? ` at ${slackDate(card.outcome.at)}` : '';
    const via = card.outcome.via ? ` (via ${escapeText(card.outcome.via)})` : '';
    blocks.push({ type: 'section', text: mrkdwn(`${word}${by}${at}${via}`) });
  } else {
    const value = JSON.stringify({ runId: card.runId, gateId: card.gateId, ...(card.digest ? { digest: card.digest } : {}) } satisfies GateButtonValue);
    const confirm = (verb: string) => ({
      title: { type: 'plain_text' as const, text: `${verb}?` },
      text: mrkdwn(`${verb} gate *${escapeText(card.gateId)}* of ${escapeText(card.runbook)} ${escapeText(card.runId)}?`),
      confirm: { type: 'plain_text' as const, text: verb },
      deny: { type: 'plain_text' as const, text: 'Back' },
    });
    blocks.push({
      type: 'actions',
      block_id: 'copilot_gate',
      elements: [
        { type: 'button', action_id: ACTION.approve, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value, confirm: confirm('Approve') },
        { type: 'button', action_id: ACTION.reject, style: 'danger', text: { type: 'plain_text', text: 'Reject' }, value, confirm: confirm('Reject') },
      ],
    });
  }
  blocks.push({ type: 'context', elements: [mrkdwn(runLinks(card.runId, links))] });
  return blocks;
}

export interface ProposalCard {
  sessionId: string;
  proposalId: string;
  summary: string;
  runbook?: string;
  params?: Record<string, unknown>;
  requestedBy?: string;
  /** Set once confirmed or cancelled. */
  outcome?: { status: 'confirmed' | 'cancelled' | 'replaced'; by: string };
}

export function proposalBlocks(text: string, card: ProposalCard): KnownBlock[] {
  const blocks: KnownBlock[] = [{ type: 'section', text: mrkdwn(escapeText(text)) }];
  if (card.runbook || card.params) {
    blocks.push({ type: 'section', fields: [mrkdwn(`*Runbook*\n\`${escapeText(card.runbook ?? '—')}\``), mrkdwn(`*Parameters*\n${paramsText(card.params)}`)] });
  }
  if (card.outcome) {
    const word =
      card.outcome.status === 'confirmed'
        ? ':white_check_mark: Confirmed'
        : card.outcome.status === 'cancelled'
          ? ':heavy_multiplication_x: Cancelled'
          : 'Replaced by a newer proposal';
    blocks.push({ type: 'context', elements: [mrkdwn(`${word} by ${escapeText(card.outcome.by)}`)] });
  } else {
    const value = JSON.stringify({ sessionId: card.sessionId, proposalId: card.proposalId } satisfies ProposalButtonValue);
    blocks.push({
      type: 'actions',
      block_id: 'copilot_proposal',
      elements: [
        { type: 'button', action_id: ACTION.confirm, style: 'primary', text: { type: 'plain_text', text: 'Confirm' }, value },
        { type: 'button', action_id: ACTION.cancel, text: { type: 'plain_text', text: 'Cancel' }, value },
      ],
    });
    blocks.push({ type: 'context', elements: [mrkdwn(`Only ${escapeText(card.requestedBy ?? 'the requester')} can confirm.`)] });
  }
  return blocks;
}

const STEP_ICONS: Record<string, string> = {
  'step.started': ':arrow_forward:',
  'step.succeeded': ':white_check_mark:',
  'step.failed': ':x:',
  'step.skipped': ':fast_forward:',
  'compensation.started': ':leftwards_arrow_with_hook:',
  'compensation.step.succeeded': ':leftwards_arrow_with_hook:',
  'compensation.step.failed': ':warning:',
  'compensation.completed': ':leftwards_arrow_with_hook:',
};

/** One line of the run's progress message for an event, or undefined for events not shown. */
export function progressLine(type: string, data: Record<string, unknown>): string | undefined {
  const str = (v: unknown) => (typeof v === 'string' ? escapeText(v) : '');
  if (type.startsWith('step.') && type !== 'step.log' && type !== 'step.retrying')
    return `${STEP_ICONS[type] ?? ''} step \`${str(data.stepId)}\` ${type.slice(5)}${type === 'step.failed' && data.error ? `: ${str(data.error)}` : ''}`;
  if (type.startsWith('compensation.')) return `${STEP_ICONS[type] ?? ''} ${type.replace('.', ' ').replace('.', ' ')}${data.stepId ? ` \`${str(data.stepId)}\`` : ''}`;
  if (type === 'approval.requested') return `:raised_hand: waiting for approval \`${str(data.gateId)}\``;
  if (type === 'approval.replanned') return `:repeat: approval \`${str(data.gateId)}\` re-planned: the params changed, earlier votes no longer count`;
  if (type === 'approval.escalated') return `:rotating_light: approval \`${str(data.gateId)}\` escalated`;
  if (type === 'approval.reminder') return `:bell: approval \`${str(data.gateId)}\` still waiting`;
  if (type === 'run.paused') return `:double_vertical_bar: paused by ${str(data.by)}${data.reason ? `: ${str(data.reason)}` : ''}`;
  if (type === 'run.resumed') return `:arrow_forward: resumed by ${str(data.by)}`;
  if (type === 'approval.decided') return `:ballot_box_with_check: approval \`${str(data.gateId)}\` ${str(data.status)}${data.decidedBy ? ` by ${str(data.decidedBy)}` : ''}`;
  return undefined;
}

export function progressBlocks(header: string, lines: string[], links: Links, runId: string): KnownBlock[] {
  const shown = lines.length > 40 ? ['…', ...lines.slice(-40)] : lines;
  return [
    { type: 'section', text: mrkdwn(header) },
    ...(shown.length ? [{ type: 'section' as const, text: mrkdwn(shown.join('\n')) }] : []),
    { type: 'context', elements: [mrkdwn(runLinks(runId, links))] },
  ];
}

/** What an incident card shows: the fields of IncidentState it reads. */
export interface IncidentCard {
  incidentId: string;
  title: string;
  service?: string;
  severity: string;
  status: string;
  hypotheses: { id: string; service: string; statement: string; confidence: number; feedback?: string; feedbackBy?: string }[];
  actions: { id: string; runbook: string; params: Record<string, unknown>; reason: string; runId?: string; startedBy?: string }[];
  notes: { author: string }[];
}

export function incidentCardText(card: IncidentCard): string {
  return escapeText(`Incident ${card.incidentId} (${card.severity}, ${card.status}): ${card.title}`);
}

export function incidentCardBlocks(card: IncidentCard, links: Links): KnownBlock[] {
  const top = card.hypotheses.find((h) => h.feedback !== 'rejected');
  const lead = top
    ? `*Leading hypothesis* (${Math.round(top.confidence * 100)}%${top.feedback ? `, ${escapeText(top.feedback)} by ${escapeText(top.feedbackBy ?? '?')}` : ''}): ${escapeText(top.statement)}`
    : '_No hypothesis yet: the investigation is gathering evidence._';
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: mrkdwn(
        `*Incident* \`${escapeText(card.incidentId)}\` · *${escapeText(card.severity)}* · ${escapeText(card.status)}\n${escapeText(card.title)}${card.service ? ` (service \`${escapeText(card.service)}\`)` : ''}`,
      ),
    },
    { type: 'section', text: mrkdwn(lead) },
  ];
  const open = card.actions.filter((a) => !a.runId).slice(0, 3);
  const started = card.actions.filter((a) => a.runId);
  if (started.length)
    blocks.push({
      type: 'context',
      elements: [mrkdwn(started.map((a) => `:arrow_forward: \`${escapeText(a.runbook)}\` ${escapeText(a.runId ?? '')} started by ${escapeText(a.startedBy ?? '?')}`).join('\n'))],
    });
  if (card.status !== 'resolved') {
    const value = (extra: Partial<IncidentButtonValue>) => JSON.stringify({ incidentId: card.incidentId, ...extra } satisfies IncidentButtonValue);
    blocks.push({
      type: 'actions',
      block_id: 'copilot_incident',
      elements: [
        { type: 'button', action_id: ACTION.incidentNote, text: { type: 'plain_text', text: 'Add note' }, value: value({}) },
        ...(top && !top.feedback
          ? [
              {
                type: 'button' as const,
                action_id: ACTION.incidentConfirm,
                style: 'primary' as const,
                text: { type: 'plain_text' as const, text: 'Confirm hypothesis' },
                value: value({ hypothesisId: top.id }),
              },
              {
                type: 'button' as const,
                action_id: ACTION.incidentReject,
                style: 'danger' as const,
                text: { type: 'plain_text' as const, text: 'Reject hypothesis' },
                value: value({ hypothesisId: top.id }),
              },
            ]
          : []),
        ...open.map((a) => ({
          type: 'button' as const,
          action_id: `${ACTION.incidentRemediate}_${a.id}`.slice(0, 255),
          text: { type: 'plain_text' as const, text: clip(`Remediate: ${a.runbook}`, 75) },
          value: value({ actionId: a.id }),
          confirm: {
            title: { type: 'plain_text' as const, text: 'Start the remediation?' },
            text: mrkdwn(`Start \`${escapeText(a.runbook)}\` as you (${escapeText(a.reason)})? Its approval gates still apply.\n${paramsText(a.params)}`),
            confirm: { type: 'plain_text' as const, text: 'Start' },
            deny: { type: 'plain_text' as const, text: 'Back' },
          },
        })),
      ],
    });
  }
  blocks.push({ type: 'context', elements: [mrkdwn(`${card.notes.length} note(s) · ${runLinks(card.incidentId, links, 'incidents')}`)] });
  return blocks;
}

/** The "Add note" modal; private_metadata carries the incident and the channel to answer in. */
export function noteModal(incidentId: string, channel: string) {
  return {
    type: 'modal' as const,
    callback_id: NOTE_VIEW.callbackId,
    private_metadata: JSON.stringify({ incidentId, channel }),
    title: { type: 'plain_text' as const, text: 'Add a note' },
    submit: { type: 'plain_text' as const, text: 'Add' },
    close: { type: 'plain_text' as const, text: 'Cancel' },
    blocks: [
      {
        type: 'input' as const,
        block_id: NOTE_VIEW.block,
        label: { type: 'plain_text' as const, text: clip(`Note for ${incidentId}`, 150) },
        element: { type: 'plain_text_input' as const, action_id: NOTE_VIEW.action, multiline: true, max_length: 3000 },
      },
    ],
  };
}
