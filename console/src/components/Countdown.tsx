import { useEffect, useState } from 'react';

/** "expires in 1h 02m 05s", ticking every second; "expired" once past. */
export function formatRemaining(ms: number): string {
  if (ms <= 0) return 'expired';
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return d > 0 ? `${d}d ${h}h ${pad(m)}m` : h > 0 ? `${h}h ${pad(m)}m ${pad(sec)}s` : `${m}m ${pad(sec)}s`;
}

export function Countdown({ until }: { until: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const left = Date.parse(until) - now;
  return (
    <time dateTime={until} className={left <= 0 ? 'expired' : 'countdown'} title={new Date(until).toLocaleString()}>
      {left <= 0 ? 'expired' : `expires in ${formatRemaining(left)}`}
    </time>
  );
}
