import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { Link, useLocation, useParams } from 'wouter';
import { ApprovalActions } from '../components/ApprovalActions';
import { ErrorText } from '../components/ErrorText';
import { apiFetch, apiPost } from '../lib/api';
import { foldTranscript, type TranscriptItem } from '../lib/chatTranscript';
import type { RunState } from '../lib/types';
import { useEventLog } from '../lib/useEventLog';

interface SessionListItem {
  sessionId: string;
  status: string;
  startTime: string;
  title?: string;
}

/** The caller's own sessions, newest first (GET /api/v1/sessions). */
function useSessions() {
  return useQuery({ queryKey: ['sessions'], queryFn: () => apiFetch<{ items: SessionListItem[] }>('/sessions?limit=50') });
}

function ProposalCard({ item, onAnswer, busy }: { item: Extract<TranscriptItem, { kind: 'proposal' }>; onAnswer: (answer: 'yes' | 'no') => void; busy: boolean }) {
  const p = item.proposal;
  return (
    <section className="card proposal" aria-label="Proposal" data-testid="proposal">
      <h3>
        Proposal: {p.kind}
        {p.runbook ? ` · ${p.runbook}` : ''}
      </h3>
      <p>{p.summary}</p>
      {p.params && (
        <dl className="params">
          {Object.entries(p.params).map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
            </div>
          ))}
        </dl>
      )}
      {item.state === 'open' ? (
        <div className="buttons">
          <button type="button" disabled={busy} onClick={() => onAnswer('yes')}>
            Confirm
          </button>
          <button type="button" className="secondary" disabled={busy} onClick={() => onAnswer('no')}>
            Cancel
          </button>
        </div>
      ) : (
        <p className="muted">{item.state}</p>
      )}
    </section>
  );
}

function ApprovalCard({ item, refresh }: { item: Extract<TranscriptItem, { kind: 'approval' }>; refresh: number }) {
  const run = useQuery({ queryKey: ['run', item.runId, refresh], queryFn: () => apiFetch<RunState>(`/runs/${item.runId}`) });
  const gate = run.data?.approvals.find((g) => g.gateId === item.gateId);
  return (
    <section className="card approval" aria-label="Approval request" data-testid="approval-card">
      <h3>
        Approval: {item.runbook} <Link href={`/runs/${item.runId}`}>{item.runId}</Link>
      </h3>
      {item.message && <p>{item.message}</p>}
      {gate ? <ApprovalActions runId={item.runId} gate={gate} requestedBy={run.data?.requestedBy} /> : run.isLoading ? <p>Loading gate…</p> : <ErrorText error={run.error} />}
    </section>
  );
}

function Transcript({ sessionId }: { sessionId: string }) {
  const { events, status } = useEventLog(`/sessions/${sessionId}/events`, `copilot.events.session-${sessionId}`);
  const items = useMemo(() => foldTranscript(events), [events]);
  const [text, setText] = useState('');
  const client = useQueryClient();
  const send = useMutation({
    mutationFn: (content: string) => apiPost<{ turnId: string }>(`/sessions/${sessionId}/messages`, { content }),
    onSuccess: () => setText(''),
  });
  const end = useRef<HTMLDivElement>(null);
  // Braces: newer browsers return a promise from scrollIntoView, and an effect may only return a cleanup.
  useEffect(() => {
    void end.current?.scrollIntoView({ block: 'end' });
  }, [items.length]);
  // Approval cards re-read the run whenever the run's progress arrives in the chat.
  const progressCount = items.filter((i) => i.kind === 'progress').length;
  const lastOpen = [...items].reverse().find((i) => i.kind === 'proposal' && i.state === 'open');
  // A first message gives a new session its title in the list.
  const turns = items.filter((i) => i.kind === 'user').length;
  useEffect(() => void client.invalidateQueries({ queryKey: ['sessions'] }), [client, turns]);

  function submit(e: FormEvent) {
    e.preventDefault();
    if (text.trim()) send.mutate(text);
  }

  return (
    <div className="chat">
      <p className="muted stream-status" aria-live="polite" data-testid="stream-status">
        stream: {status}
      </p>
      <ol className="transcript" aria-label="Messages" aria-live="polite">
        {items.map((item) => (
          <li key={item.key} className={`msg msg-${item.kind}`}>
            {item.kind === 'user' && (
              <>
                <span className="by">{item.by}</span>
                <p className="text">{item.text}</p>
              </>
            )}
            {item.kind === 'assistant' && (
              <>
                <span className="by">
                  copilot
                  {item.degraded ? (
                    <span className="degraded" title={item.degradedReason ?? 'answered by the rule-based engine'}>
                      {' '}
                      · degraded
                    </span>
                  ) : null}
                  {!item.done ? ' · typing…' : ''}
                </span>
                <p className="text" data-testid={item.done ? 'reply' : 'reply-streaming'}>
                  {item.text}
                </p>
                {item.runId && <Link href={`/runs/${item.runId}`}>Open run {item.runId}</Link>}
              </>
            )}
            {item.kind === 'proposal' && <ProposalCard item={item} busy={send.isPending || item !== lastOpen} onAnswer={(a) => send.mutate(a)} />}
            {item.kind === 'approval' && <ApprovalCard item={item} refresh={progressCount} />}
            {item.kind === 'progress' && (
              <p className="progress">
                {item.text} {item.runId && <Link href={`/runs/${item.runId}`}>view</Link>}
              </p>
            )}
          </li>
        ))}
      </ol>
      <div ref={end} />
      <form className="composer" onSubmit={submit}>
        <label htmlFor="message" className="sr-only">
          Message
        </label>
        <textarea
          id="message"
          rows={2}
          value={text}
          placeholder='Ask, or say "deploy auth v2.3.1 to production"'
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) {
              e.preventDefault();
              if (text.trim()) send.mutate(text);
            }
          }}
        />
        <button type="submit" disabled={send.isPending || !text.trim()}>
          Send
        </button>
      </form>
      <ErrorText error={send.error} />
    </div>
  );
}

export function ChatPage() {
  const params = useParams<{ sessionId?: string }>();
  const [, navigate] = useLocation();
  const sessions = useSessions();
  const client = useQueryClient();
  const create = useMutation({
    mutationFn: () => apiPost<{ sessionId: string }>('/sessions'),
    onSuccess: ({ sessionId }) => {
      void client.invalidateQueries({ queryKey: ['sessions'] });
      navigate(`/chat/${sessionId}`);
    },
  });
  return (
    <div className="split">
      <aside aria-label="Sessions" className="sidebar">
        <button type="button" onClick={() => create.mutate()} disabled={create.isPending}>
          New session
        </button>
        <ErrorText error={create.error ?? sessions.error} />
        <ul className="list">
          {(sessions.data?.items ?? []).map((s) => (
            <li key={s.sessionId}>
              <Link href={`/chat/${s.sessionId}`} className={s.sessionId === params.sessionId ? 'active' : ''}>
                {s.title ?? s.sessionId.slice(0, 8)}
              </Link>
              {s.status && <span className="muted"> {s.status}</span>}
            </li>
          ))}
        </ul>
      </aside>
      <section className="content" aria-label="Conversation">
        {params.sessionId ? <Transcript key={params.sessionId} sessionId={params.sessionId} /> : <p>Pick a session or start a new one.</p>}
      </section>
    </div>
  );
}
