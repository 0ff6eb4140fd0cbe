import type { SecretKind } from '../../../memory/redaction/detectors';

/**
 * Labelled redaction corpus: each line with the exact secret values it contains (and their kind).
 * Negatives (things that look similar but are not secret) have `secrets: []`. Values are made up.
 */
export interface CorpusLine {
  text: string;
  secrets: { kind: SecretKind; value: string }[];
}

export const REDACTION_CORPUS: CorpusLine[] = [
  { text: 'page alice.smith@example.com if checkout fails', secrets: [{ kind: 'EMAIL', value: 'alice.smith@example.com' }] },
  { text: 'escalate to ops+oncall@corp.example.io and bob@x.co', secrets: [{ kind: 'EMAIL', value: 'ops+oncall@corp.example.io' }, { kind: 'EMAIL', value: 'bob@x.co' }] },
  { text: 'call me on +44 20 7946 0958 after 6', secrets: [{ kind: 'PHONE', value: '+44 20 7946 0958' }] },
  { text: 'his number is (415) 555-2671', secrets: [{ kind: 'PHONE', value: '(415) 555-2671' }] },
  { text: 'backup line 212-555-0187', secrets: [{ kind: 'PHONE', value: '212-555-0187' }] },
  { text: 'card 4111 1111 1111 1111 was charged twice', secrets: [{ kind: 'CARD', value: '4111 1111 1111 1111' }] },
  { text: 'refund to 5500-0000-0000-0004 please', secrets: [{ kind: 'CARD', value: '5500-0000-0000-0004' }] },
  { text: 'amex 378282246310005 declined', secrets: [{ kind: 'CARD', value: '378282246310005' }] },
  { text: 'curl -H "Authorization: Bearer sk_live_9f8a7b6c5d4e3f2a1b0c" https://api', secrets: [{ kind: 'BEARER', value: 'sk_live_9f8a7b6c5d4e3f2a1b0c' }] },
  { text: 'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEiLCJyb2xlcyI6WyJhZG1pbiJdfQ.c2lnbmF0dXJlX2hlcmU expired', secrets: [{ kind: 'JWT', value: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEiLCJyb2xlcyI6WyJhZG1pbiJdfQ.c2lnbmF0dXJlX2hlcmU' }] },
  { text: 'aws key AKIAIOSFODNN7EXAMPLE leaked in the build log', secrets: [{ kind: 'AWS_KEY', value: 'AKIAIOSFODNN7EXAMPLE' }] },
  { text: 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', secrets: [{ kind: 'AWS_SECRET', value: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }] },
  { text: 'maps key AIzaSyD-1234567890abcdefghijklmnopqrstu in config', secrets: [{ kind: 'GCP_KEY', value: 'AIzaSyD-1234567890abcdefghijklmnopqrstu' }] },
  { text: 'DATABASE_URL=postgres://app:hunter2secret@db.internal:5432/app', secrets: [{ kind: 'URL_PASSWORD', value: 'hunter2secret' }] },
  { text: 'redis://default:p%40ss@cache:6379 is the cache', secrets: [{ kind: 'URL_PASSWORD', value: 'p%40ss' }] },
  {
    text: 'key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabc\n-----END RSA PRIVATE KEY-----\nend',
    secrets: [{ kind: 'PRIVATE_KEY', value: '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabc\n-----END RSA PRIVATE KEY-----' }],
  },
  { text: 'user jane@example.org reported 4012888888881881 stolen', secrets: [{ kind: 'EMAIL', value: 'jane@example.org' }, { kind: 'CARD', value: '4012888888881881' }] },
  // Negatives: operational data that must survive.
  { text: 'order 1234567890123456 shipped', secrets: [] }, // fails Luhn
  { text: 'deploy v2.3.1 to checkout-svc at 2026-01-02T10:32:00Z', secrets: [] },
  { text: 'latency p99 1234 ms, 502 rate 3.5%, port 5432', secrets: [] },
  { text: 'run-3f2a9c1d0b8e4f7a finished; INC-4821 closed', secrets: [] },
  { text: 'the host 10.0.12.7 restarted', secrets: [] }, // IPs kept unless MEMORY_REDACT_IPS
  { text: 'see https://grafana.example.com/d/abc?orgId=1', secrets: [] },
  { text: 'use the Bearer scheme for the API', secrets: [] },
  { text: 'commit 9fceb02d0ae598e95dc970b74767f19372d61af8 fixed it', secrets: [] },
  { text: 'version 1.2.3.4 of the agent', secrets: [] },
];
