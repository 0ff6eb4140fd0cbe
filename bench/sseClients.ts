import http from 'node:http';

/** Minimal SSE readers for the fan-out benchmark: one HTTP connection each, events parsed by line. */
export interface SseClient {
  close(): void;
}

export function openSse(url: string, token: string, onEvent: (event: { id: string; type: string; data: string }) => void): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`SSE ${url} answered ${res.statusCode}`));
        res.resume();
        return;
      }
      let buffer = '';
      let current = { id: '', type: 'message', data: '' };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, '');
          buffer = buffer.slice(newline + 1);
          if (line === '') {
            if (current.data) onEvent(current);
            current = { id: '', type: 'message', data: '' };
          } else if (line.startsWith('id:')) current.id = line.slice(3).trim();
          else if (line.startsWith('event:')) current.type = line.slice(6).trim();
          else if (line.startsWith('data:')) current.data += line.slice(5).trim();
        }
      });
      resolve({ close: () => req.destroy() });
    });
    req.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
    });
  });
}
