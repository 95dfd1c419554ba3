import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { requireKafka } from '@sluice/testing';
import type { Page } from 'playwright-core';
import { client, OPERATOR_TOKEN, startTestShop, testEnvironment } from '../shop-fixture.ts';
import { launchBrowser, screenshot, signInAsShopper, texts } from './browser-fixture.ts';
import { buildWeb } from './build.ts';

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const README_SCREENSHOT = join(import.meta.dirname, '..', '..', '..', 'docs', 'screenshot.png');
const WAIT = { timeout: 20_000 };

/** Marks the document; {@link assertNoReload} fails if the page was loaded again since. */
async function markDocument(page: Page): Promise<void> {
  await page.evaluate('window.shopMark = "first load"');
}

async function assertNoReload(page: Page): Promise<void> {
  const mark = await page.evaluate('window.shopMark');
  assert.equal(mark, 'first load', 'the page was not reloaded');
}

async function placeOrder(page: Page, items: readonly [string, string, string][]): Promise<void> {
  for (let i = 1; i < items.length; i++) await page.getByTestId('add-line').click();
  const lines = page.getByTestId('order-line');
  for (const [index, [name, price, quantity]] of items.entries()) {
    const line = lines.nth(index);
    await line.locator('input[name=name]').fill(name);
    await line.locator('input[name=price]').fill(price);
    await line.locator('input[name=quantity]').fill(quantity);
  }
  await page.getByTestId('place-order').click();
  await page.getByTestId('placed-order').waitFor(WAIT);
}

/** Waits until exactly `count` elements match `selector`. */
async function waitForCount(page: Page, selector: string, count: number): Promise<void> {
  await page.waitForFunction(
    `document.querySelectorAll(${JSON.stringify(selector)}).length === ${count}`,
    undefined,
    WAIT,
  );
}

const bandNames = (page: Page, band: string) =>
  texts(page, `[data-testid=band-${band}] [data-testid=band-item] .item-name`);

test('the web app in Chromium: live bands, live order status, privacy, a seat race, operations', {
  timeout: 300_000,
}, async (t) => {
  if (!requireKafka(t)) return;
  await buildWeb({ ifStale: true, quiet: true });
  const environment = await testEnvironment(t, 'pglite', {
    SLUICE_FULFILMENT: 'auto',
    SLUICE_FULFILMENT_EVERY_MS: '700',
  });
  const shop = await startTestShop(environment);
  const url = shop.url!;
  const browser = await launchBrowser(t);
  const alice = await (await browser.newContext({ viewport: DESKTOP })).newPage();
  const bob = await (await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true })).newPage();
  // Each run has its own topics and store, so plain ids cannot meet an earlier run's data.
  const aliceId = 'alice';
  const bobId = 'bob';

  await t.test('sign in, order four items, see them land in their bands without a reload', async () => {
    await alice.goto(url);
    await screenshot(alice, 'sign-in-1280');
    await signInAsShopper(alice, url, aliceId);
    await alice.getByText('No items yet').waitFor(WAIT);
    await markDocument(alice);
    await placeOrder(alice, [
      ['Pencil', '4.99', '3'],
      ['Mug', '5.00', '1'],
      ['Kettle', '50.00', '1'],
      ['Lamp', '50.01', '2'],
    ]);
    await alice.locator('[data-testid=band-expensive] [data-testid=band-item]').waitFor(WAIT);
    await waitForCount(alice, '[data-testid=band-item]', 4);
    assert.deepEqual(await bandNames(alice, 'cheap'), ['Pencil']);
    assert.deepEqual(await bandNames(alice, 'affordable'), ['Mug', 'Kettle']);
    assert.deepEqual(await bandNames(alice, 'expensive'), ['Lamp']);
    const prices = await texts(alice, '[data-testid=band-item] .item-price');
    assert.deepEqual(prices, ['3 × £4.99', '£5.00', '£50.00', '2 × £50.01']);
    await assertNoReload(alice);
    await screenshot(alice, 'shop-1280');
    // The README's picture is refreshed on request only, so a test run leaves the checkout clean.
    if (process.env.UPDATE_SCREENSHOTS === '1')
      await copyFile(join(import.meta.dirname, 'test-output', 'shop-1280.png'), README_SCREENSHOT);
  });

  await t.test('the order’s status moves to delivered on screen without a reload', async () => {
    await alice.getByRole('link', { name: 'My orders' }).click();
    const status = alice.getByTestId('order-status');
    await status.waitFor(WAIT);
    const seen = new Set<string>();
    const deadline = Date.now() + 30_000;
    while (!seen.has('delivered')) {
      assert.ok(Date.now() < deadline, `the order never showed delivered (saw ${[...seen].join(', ')})`);
      seen.add((await status.getAttribute('data-status')) ?? '');
      await alice.waitForTimeout(100);
    }
    assert.equal(
      await alice.getByRole('button', { name: 'Cancel order' }).count(),
      0,
      'delivered: no cancel',
    );
    await assertNoReload(alice);
    await screenshot(alice, 'orders-1280');
  });

  await t.test(
    'a dropped stream resumes from its last event: changes made meanwhile still arrive',
    async () => {
      await alice.getByRole('link', { name: 'Shop', exact: true }).click();
      await waitForCount(alice, '[data-testid=band-item]', 4);
      // Tickets are refused while the stream is down, so the change below happens in the gap.
      await alice.route('**/api/stream/ticket', (route) => route.abort());
      shop.app!.server.closeAllConnections();
      await alice.locator('[data-testid=live-state]', { hasText: 'Reconnecting' }).waitFor(WAIT);
      const token = (await alice.evaluate(
        "JSON.parse(sessionStorage.getItem('sluice.session')).token",
      )) as string;
      const http = client(url);
      const placed = await http.call('POST', '/api/orders', {
        token,
        body: { items: [{ name: 'Teapot', price: 2500 }] },
      });
      assert.equal(placed.status, 201, JSON.stringify(placed.body));
      const read = await http.call('GET', `/api/users/${aliceId}/items?after=${placed.body.position}`, {
        token,
      });
      assert.equal(read.body.affordable.length, 3, 'projected while the page was disconnected');
      assert.equal(await alice.getByTestId('band-item').count(), 4, 'not on screen yet');
      await alice.unroute('**/api/stream/ticket');
      await alice.locator('[data-testid=live-state]', { hasText: 'Live' }).waitFor(WAIT);
      await waitForCount(alice, '[data-testid=band-item]', 5);
      assert.deepEqual((await bandNames(alice, 'affordable')).sort(), ['Kettle', 'Mug', 'Teapot']);
      await assertNoReload(alice);
    },
  );

  await t.test('a second shopper in another browser context sees none of it', async () => {
    // A refusal reads as the problem's title, never as JSON.
    await bob.goto(url);
    await bob.getByLabel('User id').fill('system');
    await bob.getByRole('button', { name: 'Sign in' }).click();
    const refusal = bob.getByRole('alert');
    await refusal.waitFor(WAIT);
    assert.match(
      (await refusal.textContent()) ?? '',
      /This user id is reserved for the system and operators/,
    );
    assert.doesNotMatch((await refusal.textContent()) ?? '', /[{}]|"code"/);
    await screenshot(bob, 'sign-in-refused-390');
    await signInAsShopper(bob, url, bobId);
    await bob.getByText('No items yet').waitFor(WAIT);
    assert.equal(await bob.getByTestId('band-item').count(), 0);
    await screenshot(bob, 'shop-empty-390');
    await bob.getByRole('link', { name: 'My orders' }).click();
    await bob.getByText('No orders yet').waitFor(WAIT);
    assert.equal(await bob.getByTestId('order').count(), 0);
    await alice.setViewportSize(PHONE);
    await alice.getByRole('link', { name: 'Shop', exact: true }).click();
    await alice.locator('[data-testid=band-item]').first().waitFor(WAIT);
    await screenshot(alice, 'shop-390');
    await alice.setViewportSize(DESKTOP);
  });

  await t.test('two shoppers book the same seat: one gets it, the other sees it taken', async (race) => {
    const showId = 'premiere';
    const http = client(url);
    const created = await http.call('POST', '/api/shows', {
      token: OPERATOR_TOKEN,
      body: { showId, seats: 24 },
    });
    assert.ok([200, 201].includes(created.status), JSON.stringify(created.body));
    for (const page of [alice, bob]) {
      await page.getByRole('link', { name: 'Seats' }).click();
      await page.locator('input[name=showId]').fill(showId);
      await page.getByRole('button', { name: 'Open seat map' }).click();
      await page.locator('[data-testid=seat][data-seat="5"]').waitFor(WAIT);
      await page.locator('[data-testid=seat][data-seat="5"]').click();
    }
    // Whoever is second either is refused by the server (409), or, when the first booking reached
    // its map before its own click, sees the seat go and cannot book it at all.
    await Promise.allSettled(
      [alice, bob].map((page) => page.getByTestId('book-seats').click({ timeout: 5_000 })),
    );
    const outcome = async (page: Page) => {
      const done = page.getByText('Booked 1 seat: 5.');
      const refused = page.getByRole('alert').filter({ hasText: 'A seat is already taken' });
      const lost = page.getByRole('status').filter({ hasText: 'Seat 5 just went to someone else.' });
      await done
        .or(refused)
        .or(lost)
        .waitFor(WAIT)
        .catch(async (error: Error) => {
          const notices = await texts(page, '.notice');
          await screenshot(page, `seat-race-failure-${page === alice ? 'alice' : 'bob'}`);
          throw new Error(`${error.message}\nnotices on the page: ${JSON.stringify(notices)}`);
        });
      if ((await done.count()) > 0) return 'booked';
      return (await refused.count()) > 0 ? 'refused' : 'lost';
    };
    const outcomes = [await outcome(alice), await outcome(bob)];
    race.diagnostic(`seat race: ${outcomes.join(' / ')}`);
    assert.equal(outcomes.filter((o) => o === 'booked').length, 1, `outcomes: ${outcomes.join(', ')}`);
    const [winner, loser] = outcomes[0] === 'booked' ? [alice, bob] : [bob, alice];
    const seat = (page: Page, n: number) => page.locator(`[data-testid=seat][data-seat="${n}"]`);
    await loser.locator('[data-testid=seat][data-seat="5"][data-state=taken]').waitFor(WAIT);
    assert.equal(await seat(winner, 5).getAttribute('data-state'), 'mine');
    // While the loser looks on, the winner books another seat: it turns taken live on the loser's map.
    await markDocument(loser);
    await seat(loser, 6).click();
    await seat(winner, 7).click();
    await winner.getByTestId('book-seats').click();
    await loser.locator('[data-testid=seat][data-seat="7"][data-state=taken]').waitFor(WAIT);
    assert.equal(await seat(loser, 6).getAttribute('data-state'), 'selected');
    await assertNoReload(loser);
    await screenshot(alice, 'seats-1280');
    await screenshot(bob, 'seats-390');
  });

  await t.test(
    'an operator sees projections with their lag and rebuilds one with a progress bar',
    async () => {
      const operator = await (await browser.newContext({ viewport: DESKTOP })).newPage();
      await operator.goto(url);
      await operator.getByRole('tab', { name: 'Operator' }).click();
      await operator.getByLabel('Operator token').fill(OPERATOR_TOKEN);
      await operator.getByRole('button', { name: 'Sign in' }).click();
      const items = operator.locator('[data-testid=projection][data-projection=user_items]');
      await items.waitFor(WAIT);
      await waitForCount(operator, '[data-testid=projection]', 5);
      assert.match((await items.getByTestId('projection-lag').textContent()) ?? '', /^\d[\d,]*$/);
      await operator.getByText(aliceId).first().waitFor(WAIT);
      await items.getByTestId('rebuild').click();
      await items.locator('[data-testid=rebuild-progress][data-state=done]').waitFor({ timeout: 60_000 });
      assert.match((await items.getByTestId('rebuild-progress').textContent()) ?? '', /serving/);
      await screenshot(operator, 'operator-1280');
      // The rebuilt version serves the same items to the shopper.
      await alice.getByRole('link', { name: 'Shop', exact: true }).click();
      await waitForCount(alice, '[data-testid=band-item]', 5);
      assert.deepEqual(await bandNames(alice, 'expensive'), ['Lamp']);
    },
  );
});
