// `npm start` and `npm run bench` run a processor in their own process: they must start it with the
// flags the kafka package prescribes for one (V8 takes them only on the command line).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { PROCESSOR_NODE_FLAGS } from '@sluice/kafka';

const scripts = (
  JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts;

for (const name of ['start', 'bench']) {
  test(`npm ${name} starts node with PROCESSOR_NODE_FLAGS`, () => {
    const words = scripts[name]!.split(/\s+/);
    assert.equal(words[0], 'node');
    for (const flag of PROCESSOR_NODE_FLAGS)
      assert.ok(words.includes(flag), `${name}: ${scripts[name]} lacks ${flag}`);
    const script = words.findIndex((word) => word.endsWith('.ts'));
    assert.ok(
      PROCESSOR_NODE_FLAGS.every((flag) => words.indexOf(flag) < script),
      'the flags go before the script, or node passes them to it as arguments',
    );
  });
}
