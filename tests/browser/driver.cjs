// Drives Debian's chromium through playwright-core for tests/browser: one JSON command per stdin line,
// one JSON reply ({ok: true, ...} or {ok: false, error}) per stdout line, so the Python test keeps the
// sequencing and the assertions. playwright-core downloads no browser; the executable is passed in.
'use strict';
const path = require('node:path');
const readline = require('node:readline');

const modules = process.env.PLAYWRIGHT_MODULES || path.join(__dirname, '..', '..', '.cache', 'browser', 'node_modules');
const { chromium } = require(path.join(modules, 'playwright-core'));

let context = null;
let page = null;

// Text of an element as a person sees it, walking into shadow roots and slotted nodes (HA's cards
// are web components; innerText stops at shadow boundaries).
function deepText(root) {
  const parts = [];
  const visit = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      const text = node.textContent.trim();
      if (text) parts.push(text);
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE && node.nodeType !== Node.DOCUMENT_FRAGMENT_NODE) return;
    if (node.tagName === 'STYLE' || node.tagName === 'SCRIPT') return;
    if (node.tagName === 'SLOT') {
      node.assignedNodes({ flatten: true }).forEach(visit);
      return;
    }
    if (node.shadowRoot) node.shadowRoot.childNodes.forEach(visit);
    else node.childNodes.forEach(visit);
  };
  visit(root);
  return parts.join(' ');
}

// The text of an element as a person sees it on the screen: deepText's walk, keeping only text drawn with
// a size and not hidden. A select's options are in the DOM (and in deepText) also while it is closed.
// Runs in the page; with `want`, for page.waitForFunction: the text once it is `want`, else false.
function shownText({ el, want = null }) {
  const parts = [];
  const drawn = (text) => {
    const range = document.createRange();
    range.selectNodeContents(text);
    const box = range.getBoundingClientRect();
    const parent = text.parentElement;
    return box.width > 0 && box.height > 0 && (!parent || getComputedStyle(parent).visibility !== 'hidden');
  };
  const visit = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      const text = node.textContent.trim();
      if (text && drawn(node)) parts.push(text);
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE && node.nodeType !== Node.DOCUMENT_FRAGMENT_NODE) return;
    if (node.tagName === 'STYLE' || node.tagName === 'SCRIPT') return;
    if (node.tagName === 'SLOT') {
      node.assignedNodes({ flatten: true }).forEach(visit);
      return;
    }
    if (node.shadowRoot) node.shadowRoot.childNodes.forEach(visit);
    else node.childNodes.forEach(visit);
  };
  visit(el);
  const text = parts.join(' ');
  return want === null ? text : text === want && text;
}

// The options of an opened select in an entities card row. The one place where the HA frontends differ
// for this test: HA 2026.2's ha-select is a Material (mwc) select whose options are ha-list-items (role
// option); from HA 2026.10 on it is a Web Awesome dropdown of ha-dropdown-items.
const SELECT_OPTION = 'ha-list-item[role="option"], ha-dropdown-item';

// The dashboard card of element `tag` titled `title` (playwright's CSS engine pierces open shadow roots).
function card(tag, title) {
  return page.locator(tag).filter({ has: page.locator('.card-header, h1', { hasText: title }) });
}

function entitiesCard(title) {
  return card('hui-entities-card', title);
}

// The row named `row` of the entities card titled `title`.
function cardRow(title, row) {
  return entitiesCard(title).first().locator('#states > div').filter({ hasText: row }).first();
}

// The timeline row of `entity` in a history graph card: its name and its states, oldest first, as the
// card's timeline element (state-history-chart-timeline) was given them to draw on its canvas (no text to
// read): its `data` (one series per entity, each state {state, state_localize, last_changed}) and `names`,
// with repeats folded into one segment as the chart does. Not the chart's own segments (ha-chart-base's
// `data`): from HA 2026.10 on, the timeline merges segments shorter than a pixel of its time axis into the
// pixel's longest state, so a call of a few seconds on an hour-long axis is drawn as "No call" there.
function timelineRow(cardEl, entity) {
  const timelines = [];
  const visit = (node) => {
    if (node.tagName === 'STATE-HISTORY-CHART-TIMELINE') timelines.push(node);
    (node.shadowRoot ? node.shadowRoot : node).querySelectorAll('*').forEach((child) => {
      if (child.shadowRoot || child.tagName === 'STATE-HISTORY-CHART-TIMELINE') visit(child);
    });
  };
  visit(cardEl);
  for (const timeline of timelines) {
    const chart = timeline.shadowRoot?.querySelector('ha-chart-base');
    const drawn = timeline.getBoundingClientRect().width > 0 && chart?.shadowRoot?.querySelector('canvas');
    for (const series of Array.isArray(timeline.data) ? timeline.data : []) {
      if (series.entity_id === entity && drawn) {
        const states = [];
        let last;
        for (const item of series.data || []) {
          if (item.state !== last) states.push(item.state_localize ?? item.state);
          last = item.state;
        }
        return { name: (timeline.names || {})[entity] || series.name || entity, states };
      }
    }
  }
  return null;
}

// Whether `wanted` appears in `seen` in order (not necessarily next to each other).
function inOrder(seen, wanted) {
  let at = 0;
  for (const state of seen) if (state === wanted[at]) at += 1;
  return at === wanted.length;
}

const commands = {
  async launch({ executablePath, userDataDir, width = 1280, height = 900 }) {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      viewport: { width, height },
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync',
      ],
    });
    page = context.pages()[0] || (await context.newPage());
    return { version: context.browser() ? context.browser().version() : null };
  },
  async goto({ url, timeout = 30000 }) {
    await page.goto(url, { timeout });
    return { url: page.url() };
  },
  async login({ username, password, timeout = 30000 }) {
    await page.locator('input[name="username"]').fill(username, { timeout });
    await page.locator('input[name="password"]').fill(password, { timeout });
    await page.locator('ha-button', { hasText: 'Log in' }).click({ timeout });
    await page.waitForURL((url) => !url.pathname.startsWith('/auth/'), { timeout });
    return { url: page.url() };
  },
  async waitCard({ card, timeout = 30000 }) {
    await entitiesCard(card).first().waitFor({ state: 'visible', timeout });
    return {};
  },
  // Wait until the row named `row` of card `card` shows `text` (bounded), and return the row's text.
  async waitRow({ card, row, text, timeout = 30000 }) {
    const rows = entitiesCard(card).first().locator('#states > div');
    const target = rows.filter({ hasText: row }).filter({ hasText: text }).first();
    try {
      await target.waitFor({ state: 'visible', timeout });
    } catch (err) {
      const seen = await entitiesCard(card).first().evaluate(deepText).catch(() => '(card not found)');
      throw new Error(`row "${row}" of card "${card}" never showed "${text}"; the card shows: ${seen}`);
    }
    return { text: await target.evaluate(deepText) };
  },
  // Wait until the row named `row` of card `card` shows exactly "`row` `text`" on the screen (bounded):
  // unlike waitRow, neither a closed select's options nor a longer number ("10" for "1") count.
  async waitShown({ card, row, text, timeout = 30000 }) {
    const want = `${row} ${text}`;
    const el = await cardRow(card, row).elementHandle({ timeout });
    try {
      await page.waitForFunction(shownText, { el, want }, { timeout });
    } catch (err) {
      const seen = await page.evaluate(shownText, { el }).catch(() => '(row gone)');
      throw new Error(`row "${row}" of card "${card}" never showed "${want}"; it shows: ${seen}`);
    }
    return { text: want };
  },
  // Open the select in row `row` of card `card` and pick `option` (its label), as a person would.
  async select({ card, row, option, timeout = 30000 }) {
    const target = cardRow(card, row);
    await target.locator('ha-select').first().click({ timeout });
    const exact = new RegExp(`^\\s*${option.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
    await target.locator(SELECT_OPTION).filter({ hasText: exact }).filter({ visible: true }).first().click({ timeout });
    return {};
  },
  // Wait until the history graph titled `card` shows `states` in this order on `entity`'s row.
  async waitTimeline({ card: title, entity, states, timeout = 30000 }) {
    const target = card('hui-history-graph-card', title).first();
    const deadline = Date.now() + timeout;
    let row = null;
    for (;;) {
      row = await target.evaluate(timelineRow, entity).catch(() => null);
      if (row && inOrder(row.states, states)) return row;
      if (Date.now() > deadline) {
        throw new Error(`the timeline of ${entity} in "${title}" never showed ${states.join(' > ')}; it shows: ${
          row ? row.states.join(' > ') : '(no such row)'}`);
      }
      // Polling the page: the chart gets new data over HA's history stream, with no event to wait on.
      await page.waitForTimeout(100);
    }
  },
  // Wait until a logbook entry shows every one of `texts`, in the card titled `card` or, without `card`,
  // on the Activity (logbook) panel; return the entry's text.
  async waitLogbook({ card: title, texts, timeout = 30000 }) {
    const root = (title ? card('hui-logbook-card', title) : page.locator('ha-panel-logbook')).first();
    let entry = root.locator('.entry');
    for (const text of texts) entry = entry.filter({ hasText: text });
    try {
      await entry.first().waitFor({ state: 'visible', timeout });
    } catch (err) {
      const seen = await root.evaluate(deepText).catch(() => '(not found)');
      const where = title || 'Activity';
      throw new Error(`no logbook entry in "${where}" showed ${JSON.stringify(texts)}; it shows: ${seen.slice(0, 1500)}`);
    }
    return { text: await entry.first().evaluate(deepText) };
  },
  // Follow the sidebar's link to `href` (e.g. /logbook), as a person would.
  async sidebar({ href, timeout = 30000 }) {
    await page.locator(`ha-sidebar a[href="${href}"]`).click({ timeout });
    await page.waitForURL((url) => url.pathname === href, { timeout });
    return { url: page.url() };
  },
  async cardText({ card }) {
    return { text: await entitiesCard(card).first().evaluate(deepText) };
  },
  async screenshot({ path: file, fullPage = true }) {
    await page.screenshot({ path: file, fullPage });
    return { path: file };
  },
  async close() {
    if (context) await context.close();
    context = null;
    return {};
  },
};

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  let reply;
  try {
    const { cmd, ...args } = JSON.parse(line);
    if (!commands[cmd]) throw new Error(`unknown command ${cmd}`);
    reply = { ok: true, ...(await commands[cmd](args)) };
  } catch (err) {
    reply = { ok: false, error: String(err && err.message ? err.message : err) };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
});
lines.on('close', async () => {
  if (context) await context.close().catch(() => {});
  process.exit(0);
});
