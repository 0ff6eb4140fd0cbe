import { useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useState } from 'react';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { useMe } from './lib/me';
import { clearToken, getToken } from './lib/token';
import { ApprovalsPage } from './pages/ApprovalsPage';
import { ChatPage } from './pages/ChatPage';
import { IncidentsPage } from './pages/IncidentsPage';
import { RunbookPage } from './pages/RunbookPage';
import { RunbooksPage } from './pages/RunbooksPage';
import { RunsPage } from './pages/RunsPage';
import { SignInPage } from './pages/SignInPage';

// The heavy pages load on first use: the graph layout (dagre) with the run page; the chart (uPlot),
// markdown and sanitiser with the incident page. The first load stays small.
const RunPage = lazy(() => import('./pages/RunPage').then((m) => ({ default: m.RunPage })));
const IncidentPage = lazy(() => import('./pages/IncidentPage').then((m) => ({ default: m.IncidentPage })));

const NAV = [
  ['/chat', 'Chat'],
  ['/runs', 'Runs'],
  ['/runbooks', 'Runbooks'],
  ['/approvals', 'Approvals'],
  ['/incidents', 'Incidents'],
] as const;

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const me = useMe();
  const [location] = useLocation();
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">copilot</span>
        <nav aria-label="Main">
          {NAV.map(([href, label]) => (
            <Link key={href} href={href} className={location.startsWith(href) ? 'active' : ''} aria-current={location.startsWith(href) ? 'page' : undefined}>
              {label}
            </Link>
          ))}
        </nav>
        <span className="who" data-testid="who">
          {me.data ? `${me.data.subject} (${me.data.roles.join(', ') || 'no roles'})` : ''}
        </span>
        <button type="button" className="link" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main">
        <Suspense fallback={<p className="muted">Loading…</p>}>
          <Switch>
            <Route path="/chat" component={ChatPage} />
            <Route path="/chat/:sessionId" component={ChatPage} />
            <Route path="/runs" component={RunsPage} />
            <Route path="/runs/:runId" component={RunPage} />
            <Route path="/runbooks" component={RunbooksPage} />
            <Route path="/runbooks/:name" component={RunbookPage} />
            <Route path="/approvals" component={ApprovalsPage} />
            <Route path="/incidents" component={IncidentsPage} />
            <Route path="/incidents/:incidentId" component={IncidentPage} />
            <Route path="/signin">
              <Redirect to="/chat" />
            </Route>
            <Route path="/">
              <Redirect to="/chat" />
            </Route>
            <Route>
              <p>
                Nothing here. <Link href="/chat">Back to chat</Link>
              </p>
            </Route>
          </Switch>
        </Suspense>
      </main>
    </div>
  );
}

export function App() {
  const [signedIn, setSignedIn] = useState(() => getToken() !== undefined);
  const client = useQueryClient();
  if (!signedIn) return <SignInPage onSignedIn={() => setSignedIn(true)} />;
  return (
    <Shell
      onSignOut={() => {
        clearToken();
        sessionStorage.clear();
        client.clear();
        setSignedIn(false);
      }}
    />
  );
}
