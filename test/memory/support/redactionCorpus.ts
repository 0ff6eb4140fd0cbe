import type { SecretKind } from '../../../memory/redaction/detectors';

/**
 * Labelled redaction corpus: each line with the exact secret values it contains (and their kind)
 * and the look-alike values (`decoys`) that must come out unchanged. Secret values are generated
 * from a seeded PRNG in the vendors' documented shapes (prefix, length, alphabet, checksum), so
 * none is a real credential and the corpus is the same on every run.
 */
export interface CorpusLine {
  text: string;
  secrets: { kind: SecretKind; value: string }[];
  decoys?: string[];
}

// mulberry32: tiny deterministic PRNG, so the corpus does not change between runs.
let seed = 0x5eed1234;
function rand(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const from = (alphabet: string, n: number): string => Array.from({ length: n }, () => pick([...alphabet])).join('');
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const ALNUM = UPPER + LOWER + DIGITS;
const HEX = '0123456789abcdef';
const B64 = ALNUM + '+/';
const B64URL = ALNUM + '-_';
/** Random strings can, rarely, miss a character class real tokens always have; force one of each. */
const mixed = (alphabet: string, n: number): string => {
  const s = from(alphabet, n - 3);
  return pick([...UPPER]) + s.slice(0, 5) + pick([...LOWER]) + s.slice(5) + pick([...DIGITS]);
};
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const b64url = (s: string): string => Buffer.from(s).toString('base64url');

// --- generators in the vendors' documented formats --------------------------------------------
const gen = {
  githubClassic: () => `${pick(['ghp', 'gho', 'ghs'])}_${mixed(ALNUM, 36)}`,
  githubFine: () => `github_pat_11${from(UPPER + DIGITS, 20)}_${mixed(ALNUM, 59)}`,
  gitlab: () => `glpat-${mixed(ALNUM + '-_', 20)}`,
  slackBot: () => `xoxb-${from(DIGITS, 11)}-${from(DIGITS, 13)}-${mixed(ALNUM, 24)}`,
  slackUser: () => `xoxp-${from(DIGITS, 11)}-${from(DIGITS, 11)}-${from(DIGITS, 13)}-${from(HEX, 32)}`,
  slackWebhook: () => `https://hooks.slack.com/services/T${from(UPPER + DIGITS, 10)}/B${from(UPPER + DIGITS, 10)}/${mixed(ALNUM, 24)}`,
  awsKeyId: () => `${pick(['AKIA', 'ASIA'])}${from(UPPER + DIGITS, 16)}`,
  awsSecret: () => mixed(B64, 40),
  gcpKey: () => `AIza${mixed(ALNUM + '-_', 35)}`,
  azureAccountKey: () => `${mixed(B64, 86)}==`,
  azureClientSecret: () => `${from(ALNUM, 3)}8Q~${mixed(ALNUM + '_~.-', 34)}`,
  stripe: () => `${pick(['sk_live', 'rk_live', 'sk_test'])}_${mixed(ALNUM, pick([24, 99]))}`,
  npm: () => `npm_${mixed(ALNUM, 36)}`,
  pypi: () => `pypi-AgEIcHlwaS5vcmc${mixed(B64URL, 70)}`,
  docker: () => `dckr_pat_${mixed(ALNUM + '-_', 27)}`,
  twilioKey: () => `SK${from(HEX, 32)}`,
  sendgrid: () => `SG.${mixed(ALNUM + '-_', 22)}.${mixed(ALNUM + '-_', 43)}`,
  openai: () => `sk-proj-${mixed(ALNUM + '-_', 58)}T3BlbkFJ${mixed(ALNUM + '-_', 58)}`,
  anthropic: () => `sk-ant-api03-${mixed(ALNUM + '-_', 93)}AA`,
  jwt: () =>
    `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify({ sub: from(LOWER, 8), iat: 1760000000 + Math.floor(rand() * 1e6) }))}.${from(B64URL, 43)}`,
  bearer: () => mixed(ALNUM + '-._~', 40),
  basic: () => b64(`${pick(['admin', 'ci-bot', 'deploy', 'grafana'])}:${mixed(ALNUM + '!#%', 14)}`),
  password: () => `${pick(['Summer', 'hunter', 'Tr0ub4dor', 'changeMe', 'pa55'])}${pick(['!', '#', '2024', '_x', '9'])}${from(ALNUM, 4)}`,
  token: () => mixed(ALNUM, 32),
  hexToken: () => from(HEX, 32),
  urlPassword: () => mixed(ALNUM, 16),
  pem: (type: string) => `-----BEGIN ${type}PRIVATE KEY-----\n${Array.from({ length: 3 }, () => from(B64, 64)).join('\n')}\n${from(B64, 20)}=\n-----END ${type}PRIVATE KEY-----`,
};

// --- personal data with valid checksums ---------------------------------------------------------
function luhnComplete(prefix: string, length: number): string {
  const body = prefix + from(DIGITS, length - prefix.length - 1);
  for (let d = 0; d <= 9; d++) {
    const candidate = body + d;
    let sum = 0;
    [...candidate].reverse().forEach((c, i) => {
      let n = Number(c);
      if (i % 2 === 1) n = n * 2 > 9 ? n * 2 - 9 : n * 2;
      sum += n;
    });
    if (sum % 10 === 0) return candidate;
  }
  throw new Error('unreachable: one check digit always completes a Luhn number');
}
function mod97(s: string): number {
  let rem = 0;
  for (const ch of s) {
    const v = /[A-Z]/.test(ch) ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of v) rem = (rem * 10 + Number(d)) % 97;
  }
  return rem;
}
const IBAN_BBAN: Record<string, () => string> = {
  DE: () => from(DIGITS, 18),
  GB: () => from(UPPER, 4) + from(DIGITS, 14),
  FR: () => from(DIGITS, 10) + from(ALNUM.toUpperCase().slice(0, 36), 11) + from(DIGITS, 2),
  NL: () => from(UPPER, 4) + from(DIGITS, 10),
  ES: () => from(DIGITS, 20),
};
function iban(country: string, spaced: boolean): string {
  const bban = IBAN_BBAN[country]!();
  const check = String(98 - mod97(`${bban}${country}00`)).padStart(2, '0');
  const raw = `${country}${check}${bban}`;
  return spaced ? raw.replace(/(.{4})/g, '$1 ').trim() : raw;
}
function ssn(): string {
  const area = String(1 + Math.floor(rand() * 664)).padStart(3, '0');
  return `${area}-${String(1 + Math.floor(rand() * 98)).padStart(2, '0')}-${String(1 + Math.floor(rand() * 9998)).padStart(4, '0')}`;
}
function nino(): string {
  return `${pick([...'ABCEHJKLMPRSTWXYZ'])}${pick([...'ABCEHJKLMPRSTWXYZ'])}${from(DIGITS, 6)}${pick([...'ABCD'])}`;
}
function dni(): string {
  const n = 10000000 + Math.floor(rand() * 89999999);
  return `${n}${'TRWAGMYFPDXBNJZSQVHLCKE'[n % 23]}`;
}
const VD = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VP = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];
function aadhaar(): string {
  for (;;) {
    const body = pick([...'23456789']) + from(DIGITS, 10);
    for (let d = 0; d <= 9; d++) {
      let c = 0;
      [...(body + d)].reverse().forEach((ch, i) => (c = VD[c]![VP[i % 8]![Number(ch)]!]!));
      if (c === 0) {
        const s = body + d;
        return `${s.slice(0, 4)} ${s.slice(4, 8)} ${s.slice(8)}`;
      }
    }
  }
}
const phone = (): string =>
  pick([
    () => `+1 ${from('23456789', 1)}${from(DIGITS, 2)}-555-${from(DIGITS, 4)}`,
    () => `+44 20 7946 ${from(DIGITS, 4)}`,
    () => `+49 30 ${from(DIGITS, 4)} ${from(DIGITS, 4)}`,
    () => `+33 6 ${from(DIGITS, 2)} ${from(DIGITS, 2)} ${from(DIGITS, 2)} ${from(DIGITS, 2)}`,
    () => `+1415555${from(DIGITS, 4)}`,
    () => `(${from('23456789', 1)}${from(DIGITS, 2)}) 555-${from(DIGITS, 4)}`,
    () => `020 7946 ${from(DIGITS, 4)}`,
  ])();

// --- decoys ----------------------------------------------------------------------------------------
const uuid = () => `${from(HEX, 8)}-${from(HEX, 4)}-4${from(HEX, 3)}-a${from(HEX, 3)}-${from(HEX, 12)}`;
const sha = () => from(HEX, 40);
const digest = () => `sha256:${from(HEX, 64)}`;
const traceId = () => from(HEX, 32);
const spanId = () => from(HEX, 16);
const pod = () => `${pick(['checkout', 'payments', 'api-gateway', 'ledger'])}-${from(HEX, 10)}-${from('bcdfghjklmnpqrstvwxz2456789', 5)}`;
const ts = () => `2026-0${1 + Math.floor(rand() * 9)}-1${Math.floor(rand() * 9)}T0${Math.floor(rand() * 9)}:${10 + Math.floor(rand() * 49)}:00Z`;
const semver = () => `v${Math.floor(rand() * 9)}.${Math.floor(rand() * 30)}.${Math.floor(rand() * 20)}`;

type Gen = () => { text: string; secrets: CorpusLine['secrets']; decoys?: string[] };
const one = (kind: SecretKind, value: string, text: string, decoys?: string[]): ReturnType<Gen> => ({ text, secrets: [{ kind, value }], decoys });
const times = (n: number, g: Gen): CorpusLine[] => Array.from({ length: n }, g);

const vendorLines: CorpusLine[] = [
  ...times(8, () => {
    const v = gen.githubClassic();
    return one(
      'GITHUB_TOKEN',
      v,
      pick([`git clone https://x-access-token:${v}@github.com/acme/app.git`, `GITHUB_TOKEN=${v}`, `ci: export GH_TOKEN="${v}" before release`, `user pasted ${v} in #deploys`]),
    );
  }),
  ...times(6, () => {
    const v = gen.githubFine();
    return one('GITHUB_TOKEN', v, pick([`fine-grained PAT ${v} expires in 30d`, `"token": "${v}"`, `gh auth login --with-token <<< ${v}`]));
  }),
  ...times(5, () => {
    const v = gen.gitlab();
    return one('GITLAB_TOKEN', v, pick([`PRIVATE-TOKEN: ${v}`, `gitlab runner registered with ${v}`, `CI_JOB_TOKEN fallback ${v} used at ${ts()}`]));
  }),
  ...times(7, () => {
    const v = gen.slackBot();
    return one('SLACK_TOKEN', v, pick([`SLACK_BOT_TOKEN=${v}`, `slack: { token: ${v} }`, `posting to #incidents with ${v} failed: not_in_channel`, `bot token is ${v}`]));
  }),
  ...times(3, () => {
    const v = gen.slackUser();
    return one('SLACK_TOKEN', v, `legacy user token ${v} revoked`);
  }),
  ...times(3, () => {
    const v = gen.slackWebhook();
    return one('SLACK_TOKEN', v, `alertmanager slack_api_url: ${v}`);
  }),
  ...times(5, () => {
    const v = gen.awsKeyId();
    return one('AWS_KEY', v, pick([`AWS_ACCESS_KEY_ID=${v}`, `access key ${v} used from 203.0.113.9`, `"AccessKeyId": "${v}",`]));
  }),
  ...times(12, () => {
    const v = gen.awsSecret();
    return one(
      'AWS_SECRET',
      v,
      pick([
        `aws_secret_access_key = ${v}`,
        `AWS_SECRET_ACCESS_KEY=${v}`,
        `AWS_SECRET_KEY: ${v}`,
        `"SecretAccessKey": "${v}",`,
        `secretAccessKey=${v}`,
        `aws-secret: '${v}'`,
        `here is the new secret ${v} for the deploy user`,
        `creds rotated, new one: ${v}`,
      ]),
    );
  }),
  ...times(5, () => {
    const v = gen.gcpKey();
    return one('GCP_KEY', v, pick([`maps key ${v} in config`, `GOOGLE_API_KEY=${v}`, `https://maps.googleapis.com/maps/api/geocode/json?key=${v}`]));
  }),
  ...times(3, () => {
    const v = gen.pem('');
    return one(
      'PRIVATE_KEY',
      v,
      `{"type": "service_account", "private_key": "${v}", "client_email": "sa@proj.iam.gserviceaccount.com"}`.replace('sa@proj.iam.gserviceaccount.com', 'x'),
    );
  }),
  ...times(4, () => {
    const v = gen.azureAccountKey();
    return one('AZURE_KEY', v, `AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName=prodlogs;AccountKey=${v};EndpointSuffix=core.windows.net`, [
      'AccountName=prodlogs',
    ]);
  }),
  ...times(3, () => {
    const v = gen.azureClientSecret();
    return one('AZURE_KEY', v, pick([`AZURE_CLIENT_SECRET=${v}`, `app registration secret ${v} added`]));
  }),
  ...times(8, () => {
    const v = gen.stripe();
    return one(
      'STRIPE_KEY',
      v,
      pick([`STRIPE_SECRET_KEY=${v}`, `stripe.api_key = "${v}"`, `charge failed with key ${v}: card_declined`, `curl https://api.stripe.com/v1/charges -u ${v}:`]),
    );
  }),
  ...times(7, () => {
    const v = gen.npm();
    return one('NPM_TOKEN', v, pick([`//registry.npmjs.org/:_authToken=${v}`, `NPM_TOKEN=${v}`, `npm publish used token ${v}`]));
  }),
  ...times(4, () => {
    const v = gen.pypi();
    return one('PYPI_TOKEN', v, pick([`TWINE_PASSWORD=${v}`, `twine upload -u __token__ -p ${v} dist/*`, `pypi token ${v} scoped to acme-sdk`]));
  }),
  ...times(4, () => {
    const v = gen.docker();
    return one('DOCKER_TOKEN', v, pick([`docker login -u acme --password ${v}`, `DOCKERHUB_TOKEN=${v}`, `echo ${v} | docker login --password-stdin`]));
  }),
  ...times(4, () => {
    const v = gen.twilioKey();
    return one('TWILIO_KEY', v, pick([`TWILIO_API_KEY=${v}`, `twilio api key sid ${v} created`]));
  }),
  ...times(3, () => {
    const v = gen.hexToken();
    return one('SECRET', v, `TWILIO_AUTH_TOKEN=${v}`);
  }),
  ...times(4, () => {
    const v = gen.sendgrid();
    return one('SENDGRID_KEY', v, pick([`SENDGRID_API_KEY=${v}`, `mailer: sendgrid key ${v} rate limited`]));
  }),
  ...times(4, () => {
    const v = gen.openai();
    return one('OPENAI_KEY', v, pick([`OPENAI_API_KEY=${v}`, `llm provider key ${v} returned 429`]));
  }),
  ...times(4, () => {
    const v = gen.anthropic();
    return one('ANTHROPIC_KEY', v, pick([`ANTHROPIC_API_KEY=${v}`, `x-api-key: ${v}`]));
  }),
  ...times(4, () => {
    const type = pick(['RSA ', 'EC ', 'OPENSSH ', '']);
    const v = gen.pem(type);
    return one('PRIVATE_KEY', v, `deploy key:\n${v}\nadded to ~/.ssh`);
  }),
  ...times(5, () => {
    const v = gen.jwt();
    return one('JWT', v, pick([`session cookie sid=${v}; Path=/`, `id_token ${v} failed validation: exp`, `?access_token=${v}&state=xyz`]));
  }),
  ...times(4, () => {
    const v = gen.bearer();
    return one('BEARER', v, pick([`curl -H "Authorization: Bearer ${v}" https://api.internal/v1/jobs`, `authorization=Bearer ${v}`]));
  }),
  ...times(8, () => {
    const v = gen.basic();
    return one('BASIC_AUTH', v, pick([`curl -H "Authorization: Basic ${v}" https://registry.internal`, `Authorization: Basic ${v}`, `proxy sent "authorization":"Basic ${v}"`]));
  }),
  ...times(7, () => {
    const v = gen.urlPassword();
    const scheme = pick(['postgres', 'mysql', 'redis', 'amqp', 'https', 'mongodb+srv']);
    return one('URL_PASSWORD', v, pick([`DATABASE_URL=${scheme}://app:${v}@db.internal:5432/app`, `connecting to ${scheme}://svc_user:${v}@10.0.4.2/prod failed`]));
  }),
];

const keywordLines: CorpusLine[] = [
  ...times(12, () => {
    const v = gen.password();
    return one(
      'PASSWORD',
      v,
      pick([
        `password: ${v}`,
        `  db:\n    user: app\n    password: ${v}\n    host: db`,
        `"password": "${v}"`,
        `DB_PASSWORD=${v}`,
        `export PGPASSWORD=${v}`.replace('PGPASSWORD', 'PG_PASSWORD'),
        `mysql -u root --password=${v} -h db`,
        `smtp_passwd = '${v}'`,
        `admin pwd: ${v}`,
      ]),
    );
  }),
  ...times(12, () => {
    const v = gen.token();
    return one(
      'SECRET',
      v,
      pick([
        `client_secret: ${v}`,
        `"client_secret": "${v}"`,
        `api_key = "${v}"`,
        `apikey: ${v}`,
        `DATADOG_API_KEY=${v}`,
        `access_key: ${v}`,
        `webhook secret=${v}`,
        `X_AUTH_TOKEN=${v}`,
        `{"apiKey": "${v}", "region": "eu-west-1"}`,
        `private_key: ${v}`,
      ]),
    );
  }),
];

const piiLines: CorpusLine[] = [
  ...times(8, () => {
    const v = iban(pick(Object.keys(IBAN_BBAN)), rand() < 0.5);
    return one('IBAN', v, pick([`refund to IBAN ${v} please`, `customer says her account is ${v}`, `payout failed for iban=${v}`]));
  }),
  ...times(8, () => {
    const v = ssn();
    return one('SSN', v, pick([`SSN ${v} on the W-9 form`, `applicant ssn: ${v}`, `ticket: customer gave ${v} as verification`]));
  }),
  ...times(4, () => {
    const v = nino();
    return one('NATIONAL_ID', v, pick([`NI number ${v} on payslip`, `employee nino=${v}`]));
  }),
  ...times(4, () => {
    const v = dni();
    return one('NATIONAL_ID', v, pick([`DNI ${v} del cliente`, `spanish id ${v} verified`]));
  }),
  ...times(4, () => {
    const v = aadhaar();
    return one('NATIONAL_ID', v, pick([`aadhaar ${v} linked`, `KYC doc number ${v}`]));
  }),
  ...times(10, () => {
    const v = phone();
    return one('PHONE', v, pick([`call me on ${v} after 6`, `sms to ${v} bounced`, `on-call phone: ${v}`]));
  }),
  ...times(6, () => {
    const v = luhnComplete(pick(['4', '51', '37', '6011']), pick([16, 16, 15]));
    return one('CARD', v, pick([`card ${v} was charged twice`, `pan=${v} declined`]));
  }),
  ...times(5, () => {
    const v = `${pick(['alice', 'bob.smith', 'ops+oncall', 'j.doe'])}@${pick(['example.com', 'corp.example.io', 'mail.example.org'])}`;
    return one('EMAIL', v, pick([`page ${v} if checkout fails`, `reply from ${v}: ack`]));
  }),
];

const decoy = (text: string, decoys: string[]): CorpusLine => ({ text, secrets: [], decoys });
const decoyLines: CorpusLine[] = [
  ...times(6, () => {
    const u = uuid();
    return decoy(pick([`request_id=${u} status=502`, `workflow ${u} completed`, `"session_id": "${u}"`]), [u]);
  }),
  ...times(6, () => {
    const s = sha();
    return decoy(pick([`commit ${s} fixed it`, `git revert ${s}`, `deployed sha=${s}`]), [s]);
  }),
  ...times(6, () => {
    const t = traceId();
    const sp = spanId();
    return decoy(pick([`trace_id=${t} span_id=${sp} latency=812ms`, `traceparent: 00-${t}-${sp}-01`]), [t, sp]);
  }),
  ...times(6, () => {
    const d = digest();
    return decoy(pick([`image ghcr.io/acme/api@${d} pulled`, `"imageID": "docker-pullable://acme/api@${d}"`]), [d]);
  }),
  ...times(5, () => {
    const p = pod();
    const v = semver();
    return decoy(`pod ${p} running ${v} restarted 3 times`, [p, v]);
  }),
  ...times(5, () => {
    const t = ts();
    return decoy(`deploy ${semver()} to checkout-svc at ${t}`, [t]);
  }),
  decoy('token_ttl: 3600', ['3600']),
  decoy('password_file: /etc/app/db.pass', ['/etc/app/db.pass']),
  decoy('secret_name: payments-db-credentials', ['payments-db-credentials']),
  decoy('password: ${DB_PASSWORD}', ['${DB_PASSWORD}']),
  decoy('password: <PASSWORD_1>', ['<PASSWORD_1>']),
  decoy('password: required', ['required']),
  decoy('token: expired', ['expired']),
  decoy('api_key: null', ['null']),
  decoy('the secret: restart the pod first', ['restart']),
  decoy('Basic authentication is disabled on the ingress', ['authentication']),
  decoy('secret_id: 4f1c2d9e-8a7b-4c3d-9e1f-0a2b3c4d5e6f', ['4f1c2d9e-8a7b-4c3d-9e1f-0a2b3c4d5e6f']),
  decoy('token_count: 18234, prompt_tokens=912', ['18234']),
  decoy('ssn field 000-12-3456 is a test value', ['000-12-3456']),
  decoy('ticket 666-12-3456 and 912-34-5678 are not SSNs', ['666-12-3456', '912-34-5678']),
  decoy('invoice DE00123456781234567890 rejected', ['DE00123456781234567890']),
  decoy('order 4111111111111112 shipped', ['4111111111111112']),
  decoy('build 20260102103200 took 812 s on port 8443', ['20260102103200', '8443']),
  decoy('span 7d9f8b6c5d4e3f2a exported to tempo', ['7d9f8b6c5d4e3f2a']),
  decoy('kubectl rollout restart deploy/payments-api -n prod-eu-west-1', ['payments-api', 'prod-eu-west-1']),
  decoy('AccountName=prodlogs;EndpointSuffix=core.windows.net', ['prodlogs']),
  decoy('grafana dashboard uid Zr1cQdW4k org 1', ['Zr1cQdW4k']),
  decoy('the access key rotation runbook is RB-204', ['RB-204']),
  decoy('secret rotation succeeded for 14 services', ['rotation']),
  decoy('password reset email sent, no password: change pending', ['pending']),
  decoy('p99 1234 ms, 502 rate 3.5%, 10.0.12.7 restarted', ['10.0.12.7', '1234']),
  decoy('helm upgrade api ./chart --version 1.2.3-rc.1 --set image.tag=7f3e2d1', ['1.2.3-rc.1', '7f3e2d1']),
];

const legacyLines: CorpusLine[] = [
  { text: 'page alice.smith@example.com if checkout fails', secrets: [{ kind: 'EMAIL', value: 'alice.smith@example.com' }] },
  {
    text: 'escalate to ops+oncall@corp.example.io and bob@x.co',
    secrets: [
      { kind: 'EMAIL', value: 'ops+oncall@corp.example.io' },
      { kind: 'EMAIL', value: 'bob@x.co' },
    ],
  },
  { text: 'call me on +44 20 7946 0958 after 6', secrets: [{ kind: 'PHONE', value: '+44 20 7946 0958' }] },
  { text: 'his number is (415) 555-2671', secrets: [{ kind: 'PHONE', value: '(415) 555-2671' }] },
  { text: 'backup line 212-555-0187', secrets: [{ kind: 'PHONE', value: '212-555-0187' }] },
  { text: 'card 4111 1111 1111 1111 was charged twice', secrets: [{ kind: 'CARD', value: '4111 1111 1111 1111' }] },
  { text: 'refund to 5500-0000-0000-0004 please', secrets: [{ kind: 'CARD', value: '5500-0000-0000-0004' }] },
  { text: 'amex 378282246310005 declined', secrets: [{ kind: 'CARD', value: '378282246310005' }] },
  { text: 'curl -H "Authorization: Bearer sk_live_9f8a7b6c5d4e3f2a1b0c" https://api', secrets: [{ kind: 'BEARER', value: 'sk_live_9f8a7b6c5d4e3f2a1b0c' }] },
  {
    text: 'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEiLCJyb2xlcyI6WyJhZG1pbiJdfQ.c2lnbmF0dXJlX2hlcmU expired',
    secrets: [{ kind: 'JWT', value: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEiLCJyb2xlcyI6WyJhZG1pbiJdfQ.c2lnbmF0dXJlX2hlcmU' }],
  },
  { text: 'aws key AKIAIOSFODNN7EXAMPLE leaked in the build log', secrets: [{ kind: 'AWS_KEY', value: 'AKIAIOSFODNN7EXAMPLE' }] },
  { text: 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', secrets: [{ kind: 'AWS_SECRET', value: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }] },
  { text: 'maps key AIzaSyD-1234567890abcdefghijklmnopqrstu in config', secrets: [{ kind: 'GCP_KEY', value: 'AIzaSyD-1234567890abcdefghijklmnopqrstu' }] },
  { text: 'DATABASE_URL=postgres://app:hunter2secret@db.internal:5432/app', secrets: [{ kind: 'URL_PASSWORD', value: 'hunter2secret' }] },
  { text: 'redis://default:p%40ss@cache:6379 is the cache', secrets: [{ kind: 'URL_PASSWORD', value: 'p%40ss' }] },
  {
    text: 'key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabc\n-----END RSA PRIVATE KEY-----\nend',
    secrets: [{ kind: 'PRIVATE_KEY', value: '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabc\n-----END RSA PRIVATE KEY-----' }],
  },
  {
    text: 'user jane@example.org reported 4012888888881881 stolen',
    secrets: [
      { kind: 'EMAIL', value: 'jane@example.org' },
      { kind: 'CARD', value: '4012888888881881' },
    ],
  },
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

/**
 * The ten kinds issue 17 saw come back verbatim through `POST /api/v1/memories`, one line each, in
 * the label spellings that leaked (unlabelled AWS secret, YAML password, bare Basic header).
 */
export const ISSUE_17_LINES: CorpusLine[] = (() => {
  const gh = gen.githubClassic();
  const ghf = gen.githubFine();
  const slack = gen.slackBot();
  const aws = gen.awsSecret();
  const stripe = `sk_live_${mixed(ALNUM, 24)}`;
  const npm = gen.npm();
  const basic = gen.basic();
  const pw = gen.password();
  const ib = iban('DE', true);
  const ss = ssn();
  return [
    one('GITHUB_TOKEN', gh, `ci failed, retried with ${gh}`),
    one('GITHUB_TOKEN', ghf, `fine-grained token ${ghf} for the release bot`),
    one('SLACK_TOKEN', slack, `notifier uses ${slack}`),
    one('AWS_SECRET', aws, `deploy user secret is ${aws}`),
    one('STRIPE_KEY', stripe, `billing key ${stripe} rotated`),
    one('NPM_TOKEN', npm, `publish with ${npm}`),
    one('BASIC_AUTH', basic, `Authorization: Basic ${basic}`),
    one('PASSWORD', pw, `db:\n  password: ${pw}`),
    one('IBAN', ib, `refund IBAN ${ib}`),
    one('SSN', ss, `customer SSN ${ss}`),
  ];
})();

export const REDACTION_CORPUS: CorpusLine[] = [...vendorLines, ...keywordLines, ...piiLines, ...decoyLines, ...legacyLines];
