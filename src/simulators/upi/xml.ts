/**
 * Reading a SOAP request the way the service does: namespaces resolved, prefixes free.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface Element {
  ns: string;
  name: string;
  children: Element[];
  text: string;
}

type Node = Record<string, unknown> & { ':@'?: Record<string, string> };

const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, trimValues: true });

/** The root element, or undefined when the text is not well-formed XML (or has a DOCTYPE). */
export function readXml(text: string): Element | undefined {
  if (/<!DOCTYPE/i.test(text) || XMLValidator.validate(text) !== true) return undefined;
  try {
    const roots = (parser.parse(text) as Node[]).flatMap((n) => toElement(n, new Map()));
    return roots.length === 1 ? roots[0] : undefined;
  } catch {
    return undefined;
  }
}

function toElement(node: Node, scope: ReadonlyMap<string, string>): Element[] {
  const tag = Object.keys(node).find((k) => k !== ':@');
  if (!tag || tag === '#text' || tag.startsWith('?')) return [];
  const inner = new Map(scope);
  for (const [key, value] of Object.entries(node[':@'] ?? {})) {
    if (key === 'xmlns') inner.set('', value);
    else if (key.startsWith('xmlns:')) inner.set(key.slice(6), value);
  }
  const colon = tag.indexOf(':');
  const prefix = colon === -1 ? '' : tag.slice(0, colon);
  const ns = inner.get(prefix);
  if (ns === undefined && prefix) throw new Error(`undeclared prefix ${prefix}`);
  const children: Element[] = [];
  let text = '';
  for (const c of (node[tag] ?? []) as Node[]) {
    if ('#text' in c) text += String(c['#text']);
    else children.push(...toElement(c, inner));
  }
  return [{ ns: ns ?? '', name: colon === -1 ? tag : tag.slice(colon + 1), children, text: text.trim() }];
}

/** Follows (namespace, local name) steps down from `el`. */
export function find(el: Element | undefined, ...steps: [ns: string, name: string][]): Element | undefined {
  let current = el;
  for (const [ns, name] of steps) current = current?.children.find((c) => c.ns === ns && c.name === name);
  return current;
}

export function esc(value: string): string {
  return value.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}
