import type { Command } from 'commander';
import { printFields, printJson, printTable, safeText, status } from '../output';
import type { CliContext, CommandModule } from '../program';

/** `copilot incidents list|show ID|report ID` (the markdown postmortem, printed as text with control sequences removed). */
type Incident = Record<string, unknown>;

const text = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

export const incidentsCommand: CommandModule = (program: Command, ctx: CliContext) => {
  const incidents = program.command('incidents').description('incident investigations');

  incidents
    .command('list')
    .description('list incidents, newest first')
    .option('--status <status>', 'only incidents with this status')
    .option('--service <name>', 'only incidents of this service')
    .option('--limit <n>', 'how many', '20')
    .action(async (opts: { status?: string; service?: string; limit: string }) => {
      const query = new URLSearchParams({ limit: opts.limit });
      if (opts.status) query.set('status', opts.status);
      if (opts.service) query.set('service', opts.service);
      const { items } = await ctx.client().get<{ items: Incident[] }>(`/api/v1/incidents?${query.toString()}`);
      if (ctx.output() === 'json') return printJson(items);
      printTable(
        ['INCIDENT', 'STATUS', 'SEVERITY', 'SERVICE', 'TITLE', 'OPENED'],
        items.map((i) => [text(i.incidentId), status(text(i.status)), text(i.severity), text(i.service), text(i.title), text(i.createdAt ?? i.startedAt)]),
      );
    });

  incidents
    .command('show')
    .description('one incident: status, hypotheses, proposed actions, notes')
    .argument('<incidentId>', 'incident id')
    .action(async (id: string) => {
      const incident = await ctx.client().get<Incident>(`/api/v1/incidents/${encodeURIComponent(id)}`);
      if (ctx.output() === 'json') return printJson(incident);
      printFields([
        ['incident', text(incident.incidentId ?? id)],
        ['status', status(text(incident.status))],
        ['title', text(incident.title)],
        ['service', text(incident.service)],
        ['severity', text(incident.severity)],
        ['started', text(incident.startedAt)],
        ['rounds', text(incident.rounds)],
      ]);
      const list = (key: string) => (Array.isArray(incident[key]) ? (incident[key] as Incident[]) : []);
      process.stdout.write('\nhypotheses\n');
      printTable(
        ['CONFIDENCE', 'SERVICE', 'HYPOTHESIS', 'EVIDENCE'],
        list('hypotheses').map((h) => [
          typeof h.confidence === 'number' ? h.confidence.toFixed(2) : text(h.confidence),
          text(h.service),
          text(h.statement),
          Array.isArray(h.evidence) ? h.evidence.length : '',
        ]),
      );
      if (list('actions').length > 0) {
        process.stdout.write('\nproposed actions\n');
        printTable(
          ['ACTION', 'RUNBOOK', 'PARAMS', 'REASON', 'RUN'],
          list('actions').map((a) => [text(a.id), text(a.runbook), text(a.params), text(a.reason), text(a.runId)]),
        );
      }
      if (list('notes').length > 0) {
        process.stdout.write('\nnotes\n');
        printTable(
          ['AT', 'BY', 'NOTE'],
          list('notes').map((n) => [text(n.at), text(n.author), text(n.text)]),
        );
      }
    });

  incidents
    .command('report')
    .description('the markdown postmortem (a live draft until the incident is resolved)')
    .argument('<incidentId>', 'incident id')
    .action(async (id: string) => {
      const report = await ctx.client().request<string>('GET', `/api/v1/incidents/${encodeURIComponent(id)}/report`);
      if (ctx.output() === 'json') return printJson({ incidentId: id, markdown: report });
      process.stdout.write(`${safeText(report)}\n`);
    });
};
