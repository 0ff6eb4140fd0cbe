import DOMPurify from 'dompurify';
import { marked } from 'marked';
import { useMemo } from 'react';

/**
 * Markdown rendered to HTML by marked, then sanitised by DOMPurify before it touches the DOM: the
 * postmortem quotes alert text and log lines, which are hostile input. No images (nothing is fetched
 * from outside), no inline styles (the CSP forbids them anyway), links open without an opener.
 */
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('rel', 'noopener noreferrer');
    node.setAttribute('target', '_blank');
  }
});

export function sanitizeMarkdown(source: string): string {
  const html = marked.parse(source, { async: false, gfm: true });
  return DOMPurify.sanitize(html, {
    FORBID_TAGS: ['img', 'style', 'form', 'input', 'button', 'iframe', 'object', 'embed', 'svg', 'math'],
    FORBID_ATTR: ['style', 'srcset'],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#|\/)/i,
  });
}

export function Markdown({ source }: { source: string }) {
  const html = useMemo(() => sanitizeMarkdown(source), [source]);
  // Sanitised above with DOMPurify: the only dangerouslySetInnerHTML in the console.
  return <div className="markdown" data-testid="markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}
