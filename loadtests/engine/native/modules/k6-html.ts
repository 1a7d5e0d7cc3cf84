/** The `k6/html` module and `response.html()`: k6's Selection and Element API on cheerio. */
import { type Cheerio, type CheerioAPI, load } from 'cheerio';
import type { AnyNode, Element as DomElement } from 'domhandler';
import { esModule } from './es-module.js';

/** k6's Element (what `each` and `get` hand out): DOM-style methods on one node. */
export class Element {
  readonly #$: CheerioAPI;
  readonly #node: AnyNode;

  constructor($: CheerioAPI, node: AnyNode) {
    this.#$ = $;
    this.#node = node;
  }

  #attribs(): Record<string, string> {
    return (this.#node as DomElement).attribs ?? {};
  }

  nodeName(): string {
    return ((this.#node as DomElement).name ?? `#${this.#node.type}`).toLowerCase();
  }
  nodeType(): number {
    return this.#node.nodeType;
  }
  id(): string {
    return this.#attribs().id ?? '';
  }
  textContent(): string {
    return this.#$(this.#node).text();
  }
  innerHTML(): string {
    return this.#$(this.#node).html() ?? '';
  }
  getAttribute(name: string): string | undefined {
    return this.#attribs()[name];
  }
  hasAttribute(name: string): boolean {
    return name in this.#attribs();
  }
  hasAttributes(): boolean {
    return Object.keys(this.#attribs()).length > 0;
  }
  attributes(): Record<string, { name: string; value: string }> {
    const out: Record<string, { name: string; value: string }> = {};
    for (const [name, value] of Object.entries(this.#attribs())) out[name] = { name, value };
    return out;
  }
  classList(): string[] {
    return (this.#attribs().class ?? '').split(/\s+/).filter(Boolean);
  }
  className(): string {
    return this.#attribs().class ?? '';
  }
  selection(): Selection {
    return new Selection(this.#$, this.#$(this.#node));
  }
  /** The same fields as properties, as k6 exposes some of them. */
  get value(): string | undefined {
    return this.#$(this.#node).val() as string | undefined;
  }
}

/** k6's Selection: a jQuery-like set of nodes. */
export class Selection {
  readonly #$: CheerioAPI;
  readonly #sel: Cheerio<AnyNode>;

  constructor($: CheerioAPI, selection: Cheerio<AnyNode>) {
    this.#$ = $;
    this.#sel = selection;
  }

  #wrap(selection: Cheerio<AnyNode>): Selection {
    return new Selection(this.#$, selection);
  }

  find(selector: string): Selection {
    return this.#wrap(this.#sel.find(selector));
  }
  text(): string {
    return this.#sel.text();
  }
  html(): string | undefined {
    return this.#sel.html() ?? undefined;
  }
  attr(name: string, defaultValue?: string): string | undefined {
    return this.#sel.attr(name) ?? defaultValue;
  }
  val(): string | string[] | undefined {
    return this.#sel.val();
  }
  data(key?: string): unknown {
    return key === undefined ? this.#sel.data() : this.#sel.data(key);
  }
  size(): number {
    return this.#sel.length;
  }
  get length(): number {
    return this.#sel.length;
  }
  eq(index: number): Selection {
    return this.#wrap(this.#sel.eq(index));
  }
  first(): Selection {
    return this.#wrap(this.#sel.first());
  }
  last(): Selection {
    return this.#wrap(this.#sel.last());
  }
  children(selector?: string): Selection {
    return this.#wrap(selector ? this.#sel.children(selector) : this.#sel.children());
  }
  contents(): Selection {
    return this.#wrap(this.#sel.contents());
  }
  parent(selector?: string): Selection {
    return this.#wrap(selector ? this.#sel.parent(selector) : this.#sel.parent());
  }
  parents(selector?: string): Selection {
    return this.#wrap(selector ? this.#sel.parents(selector) : this.#sel.parents());
  }
  closest(selector: string): Selection {
    return this.#wrap(this.#sel.closest(selector));
  }
  next(selector?: string): Selection {
    return this.#wrap(selector ? this.#sel.next(selector) : this.#sel.next());
  }
  nextAll(selector?: string): Selection {
    return this.#wrap(selector ? this.#sel.nextAll(selector) : this.#sel.nextAll());
  }
  prev(selector?: string): Selection {
    return this.#wrap(selector ? this.#sel.prev(selector) : this.#sel.prev());
  }
  prevAll(selector?: string): Selection {
    return this.#wrap(selector ? this.#sel.prevAll(selector) : this.#sel.prevAll());
  }
  siblings(selector?: string): Selection {
    return this.#wrap(selector ? this.#sel.siblings(selector) : this.#sel.siblings());
  }
  filter(selector: string | ((index: number, selection: Selection) => boolean)): Selection {
    if (typeof selector === 'string') return this.#wrap(this.#sel.filter(selector));
    return this.#wrap(this.#sel.filter((i, node) => Boolean(selector(i, this.#wrap(this.#$(node))))));
  }
  not(selector: string): Selection {
    return this.#wrap(this.#sel.not(selector));
  }
  has(selector: string): Selection {
    return this.#wrap(this.#sel.has(selector));
  }
  is(selector: string): boolean {
    return this.#sel.is(selector);
  }
  /** Calls `fn(index, element)` for each node (k6 passes an Element, not a Selection). */
  each(fn: (index: number, element: Element) => unknown): Selection {
    this.#sel.each((i, node) => {
      fn(i, new Element(this.#$, node));
    });
    return this;
  }
  /** `fn(index, selection)` for each node; the results as an array. */
  map(fn: (index: number, selection: Selection) => unknown): unknown[] {
    return this.#sel.toArray().map((node, i) => fn(i, this.#wrap(this.#$(node))));
  }
  toArray(): Selection[] {
    return this.#sel.toArray().map((node) => this.#wrap(this.#$(node)));
  }
  get(index?: number): Element | Element[] | undefined {
    if (index === undefined) return this.#sel.toArray().map((node) => new Element(this.#$, node));
    const node = this.#sel.get(index < 0 ? this.#sel.length + index : index);
    return node ? new Element(this.#$, node) : undefined;
  }
  serialize(): string {
    return this.#sel.serialize();
  }
  serializeArray(): Array<{ name: string; value: string }> {
    return this.#sel.serializeArray();
  }
  serializeObject(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const { name, value } of this.#sel.serializeArray()) out[name] = value;
    return out;
  }
}

/** `parseHTML(src)`: the document as a Selection. */
export function parseHTML(source: string): Selection {
  const $ = load(String(source ?? ''));
  return new Selection($, $.root());
}

export function createHtmlModule() {
  return esModule({ parseHTML });
}
