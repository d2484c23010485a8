/**
 * A small namespace-aware view of an XML document (fast-xml-parser underneath): every element
 * carries its namespace URI and local name, so a message is read the same whatever prefixes the
 * sender chose. Documents with a DOCTYPE are refused (SOAP forbids them; no entity tricks).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface XmlElement {
  /** Namespace URI ('' when the element has none). */
  ns: string;
  /** Local name, without prefix. */
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text, trimmed. */
  text: string;
}

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
});

export class XmlSyntaxError extends Error {}

/** Parses a document and returns its root element; throws XmlSyntaxError when it is not XML. */
export function parseXml(text: string): XmlElement {
  if (/<!DOCTYPE/i.test(text)) throw new XmlSyntaxError('a DOCTYPE is not allowed');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new XmlSyntaxError(`not well-formed XML (line ${valid.err.line}: ${valid.err.code})`);
  const nodes = parser.parse(text) as OrderedNode[];
  const roots = nodes.flatMap((n) => convert(n, new Map([['xml', 'http://www.w3.org/XML/1998/namespace']])));
  if (roots.length !== 1) throw new XmlSyntaxError('expected exactly one root element');
  return roots[0]!;
}

function convert(node: OrderedNode, scope: ReadonlyMap<string, string>): XmlElement[] {
  const tag = Object.keys(node).find((k) => k !== ':@');
  if (!tag || tag === '#text' || tag.startsWith('?')) return [];
  const raw = node[':@'] ?? {};
  const inner = new Map(scope);
  const attrs: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'xmlns') inner.set('', value);
    else if (key.startsWith('xmlns:')) inner.set(key.slice(6), value);
    else attrs[key.includes(':') ? key.slice(key.indexOf(':') + 1) : key] = value;
  }
  const colon = tag.indexOf(':');
  const prefix = colon === -1 ? '' : tag.slice(0, colon);
  const name = colon === -1 ? tag : tag.slice(colon + 1);
  const ns = inner.get(prefix);
  if (ns === undefined && prefix !== '') throw new XmlSyntaxError(`undeclared namespace prefix "${prefix}"`);
  const content = (node[tag] ?? []) as OrderedNode[];
  const children: XmlElement[] = [];
  let text = '';
  for (const child of content) {
    if ('#text' in child) text += String(child['#text']);
    else children.push(...convert(child, inner));
  }
  return [{ ns: ns ?? '', name, attrs, children, text: text.trim() }];
}

/** The first child with this namespace and local name. */
export function child(el: XmlElement | undefined, ns: string, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.ns === ns && c.name === name);
}

/** Every child with this namespace and local name. */
export function childrenOf(el: XmlElement | undefined, ns: string, name: string): XmlElement[] {
  return el?.children.filter((c) => c.ns === ns && c.name === name) ?? [];
}

/** Follows a path of (namespace, local name) steps from `el`. */
export function path(el: XmlElement | undefined, ...steps: [ns: string, name: string][]): XmlElement | undefined {
  let current = el;
  for (const [ns, name] of steps) current = child(current, ns, name);
  return current;
}

/** Escapes text for element content and attribute values. */
export function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}
